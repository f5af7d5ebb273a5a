import type { ComponentName, StackConfig, StackPorts } from './config.js';
import { startJaeger } from './jaeger-server.js';
import { startKafka } from './kafka-server.js';
import { probeJaeger } from './probe-jaeger.js';
import { probeKafka } from './probe-kafka.js';
import { probeRedis } from './probe-redis.js';
import { probeSchemaRegistry } from './probe-schema-registry.js';
import { startRedis } from './redis-server.js';
import { startRegistry } from './registry-server.js';
import type { ProbeResult } from './tcp.js';
import type { OwnedProcess } from './state.js';

/** What stack.ts needs to know about one server; the orchestration itself is generic. */
export interface Component {
  name: ComponentName;
  title: string;
  /** The endpoint shown to users (status, errors). */
  endpoint(cfg: StackConfig): string;
  probe(cfg: StackConfig): Promise<ProbeResult>;
  /** Every local port our instance binds, with the env var that moves it. */
  ports(cfg: StackConfig): Array<{ port: number; key: keyof StackPorts }>;
  /** Sentence fragment telling how to use another server instead of ours. */
  useAnother: string;
  /** How long to wait for readiness after spawning. */
  readyTimeoutMs: number;
  start(cfg: StackConfig, log: (l: string) => void): Promise<OwnedProcess>;
}

export const PORT_ENV_NAME: Record<keyof StackPorts, string> = {
  kafka: 'CLOVISOR_KAFKA_PORT',
  kafkaController: 'CLOVISOR_KAFKA_CONTROLLER_PORT',
  redis: 'CLOVISOR_REDIS_PORT',
  otlpGrpc: 'CLOVISOR_JAEGER_OTLP_GRPC_PORT',
  otlpHttp: 'CLOVISOR_JAEGER_OTLP_HTTP_PORT',
  jaegerQuery: 'CLOVISOR_JAEGER_QUERY_PORT',
  jaegerQueryGrpc: 'CLOVISOR_JAEGER_QUERY_GRPC_PORT',
  registry: 'CLOVISOR_SCHEMA_REGISTRY_PORT',
};

const kafka: Component = {
  name: 'kafka',
  title: 'Kafka',
  endpoint: (cfg) => cfg.endpoints.brokers,
  probe: (cfg) => probeKafka(cfg.endpoints.brokers),
  ports: (cfg) => [
    { port: cfg.ports.kafka, key: 'kafka' },
    { port: cfg.ports.kafkaController, key: 'kafkaController' },
  ],
  useAnother: 'set CLOVISOR_BROKERS=<host:port> to use another broker',
  readyTimeoutMs: 90_000,
  start: startKafka,
};

const redis: Component = {
  name: 'redis',
  title: 'Redis',
  endpoint: (cfg) => cfg.endpoints.redis,
  probe: (cfg) => probeRedis(cfg.endpoints.redis),
  ports: (cfg) => [{ port: cfg.ports.redis, key: 'redis' }],
  useAnother: 'set CLOVISOR_REDIS_URL=redis://<host:port> to use another Redis',
  readyTimeoutMs: 15_000,
  start: startRedis,
};

const jaeger: Component = {
  name: 'jaeger',
  title: 'Jaeger',
  endpoint: (cfg) => `${cfg.endpoints.jaegerQuery} (OTLP ${cfg.endpoints.otlpHttp}, ${cfg.endpoints.otlpGrpc})`,
  probe: (cfg) => probeJaeger(cfg.endpoints),
  ports: (cfg) => [
    { port: cfg.ports.jaegerQuery, key: 'jaegerQuery' },
    { port: cfg.ports.otlpHttp, key: 'otlpHttp' },
    { port: cfg.ports.otlpGrpc, key: 'otlpGrpc' },
    { port: cfg.ports.jaegerQueryGrpc, key: 'jaegerQueryGrpc' },
  ],
  useAnother: `set CLOVISOR_OTLP_ENDPOINT=http://<host:4318> and CLOVISOR_JAEGER_QUERY=http://<host:16686> to use another Jaeger`,
  readyTimeoutMs: 60_000,
  start: startJaeger,
};

const registry: Component = {
  name: 'registry',
  title: 'schema registry',
  endpoint: (cfg) => cfg.schemaRegistry,
  probe: (cfg) => probeSchemaRegistry(cfg.schemaRegistry),
  ports: (cfg) => [{ port: cfg.ports.registry, key: 'registry' }],
  useAnother: 'set CLOVISOR_SCHEMA_REGISTRY=http://<host:port>/<Confluent API path> to use another registry, or CLOVISOR_SCHEMA_REGISTRY_PORT to move ours',
  // the first start builds nothing here (the Maven build runs before the spawn); Quarkus boots in ~15 s on 2 cores
  readyTimeoutMs: 120_000,
  start: startRegistry,
};

export const COMPONENT_TABLE: Record<ComponentName, Component> = { kafka, redis, jaeger, registry };

