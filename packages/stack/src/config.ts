import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from './errors.js';

export type ComponentName = 'kafka' | 'redis' | 'jaeger' | 'registry';
/** What `stack up` starts by default. */
export const COMPONENTS: readonly ComponentName[] = ['kafka', 'redis', 'jaeger'];
/** Every component, in status order: the schema registry is opt-in (`stack up --registry`). */
export const ALL_COMPONENTS: readonly ComponentName[] = [...COMPONENTS, 'registry'];

/** Loopback ports of the servers we start ourselves. Defaults are the upstream defaults. */
export interface StackPorts {
  kafka: number;
  kafkaController: number;
  redis: number;
  otlpGrpc: number;
  otlpHttp: number;
  jaegerQuery: number;
  jaegerQueryGrpc: number;
  registry: number;
}

/** Options every entry point accepts, so tests can run an isolated stack without touching process.env. */
export interface StackOptions {
  stateDir?: string;
  cacheDir?: string;
  ports?: Partial<StackPorts>;
  env?: NodeJS.ProcessEnv;
}

export interface StackEndpoints {
  brokers: string;
  redis: string;
  otlpHttp: string;
  otlpGrpc: string;
  jaegerQuery: string;
  /** The schema registry's Confluent API base; only when the registry is part of the answer. */
  schemaRegistry?: string;
}

export interface StackConfig {
  cacheDir: string;
  stateDir: string;
  /** The repo's stack/ folder (pom.xml, go.mod). */
  sourcesDir: string;
  ports: StackPorts;
  endpoints: StackEndpoints;
  /** The schema registry's Confluent API base (ours, or CLOVISOR_SCHEMA_REGISTRY). */
  schemaRegistry: string;
  /** Which components were given in the environment: those are never started. */
  external: Record<ComponentName, boolean>;
}

export const HOST = '127.0.0.1';

const PORT_ENV: Record<keyof StackPorts, [string, number]> = {
  kafka: ['CLOVISOR_KAFKA_PORT', 9092],
  kafkaController: ['CLOVISOR_KAFKA_CONTROLLER_PORT', 9093],
  redis: ['CLOVISOR_REDIS_PORT', 6379],
  otlpGrpc: ['CLOVISOR_JAEGER_OTLP_GRPC_PORT', 4317],
  otlpHttp: ['CLOVISOR_JAEGER_OTLP_HTTP_PORT', 4318],
  jaegerQuery: ['CLOVISOR_JAEGER_QUERY_PORT', 16686],
  jaegerQueryGrpc: ['CLOVISOR_JAEGER_QUERY_GRPC_PORT', 16685],
  registry: ['CLOVISOR_SCHEMA_REGISTRY_PORT', 8081], // Confluent Schema Registry's
};

/** Where Apicurio serves the Confluent Schema Registry API: the URL to give --schema-registry. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

function parsePort(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new StackError('BAD_CONFIG', `${name}=${raw} is not a TCP port; set it to a number between 1 and 65535`);
  }
  return n;
}

function resolvePorts(opts: StackOptions, env: NodeJS.ProcessEnv): StackPorts {
  const out = {} as StackPorts;
  for (const key of Object.keys(PORT_ENV) as Array<keyof StackPorts>) {
    const [envName, def] = PORT_ENV[key];
    const fromOpts = opts.ports?.[key];
    const fromEnv = nonEmpty(env[envName]);
    out[key] = fromOpts ?? (fromEnv !== undefined ? parsePort(envName, fromEnv) : def);
  }
  return out;
}

/** Strips a trailing slash so callers can append paths like `/v1/traces`. */
function trimUrl(u: string): string {
  return u.replace(/\/+$/, '');
}

function hostOf(url: string, envName: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    throw new StackError('BAD_CONFIG', `${envName}=${url} is not a URL; use the form http://host:port`);
  }
}

function resolveEndpoints(ports: StackPorts, env: NodeJS.ProcessEnv): Pick<StackConfig, 'endpoints' | 'external' | 'schemaRegistry'> {
  const brokers = nonEmpty(env.CLOVISOR_BROKERS);
  const redis = nonEmpty(env.CLOVISOR_REDIS_URL);
  const otlpHttp = nonEmpty(env.CLOVISOR_OTLP_ENDPOINT);
  const otlpGrpc = nonEmpty(env.CLOVISOR_OTLP_GRPC_ENDPOINT);
  const query = nonEmpty(env.CLOVISOR_JAEGER_QUERY);
  // the same variable the stages read for --schema-registry
  const registry = nonEmpty(env.CLOVISOR_SCHEMA_REGISTRY);
  if (registry !== undefined && !/^https?:\/\/[^/]/.test(registry)) {
    throw new StackError('BAD_CONFIG', `CLOVISOR_SCHEMA_REGISTRY=${registry} is not a URL; use the form http://host:port/<Confluent API path>`);
  }
  // A partially given Jaeger is completed on the same host with the standard ports: users
  // usually point at one Jaeger and name only the endpoint they care about.
  const jaegerHost =
    (otlpHttp && hostOf(otlpHttp, 'CLOVISOR_OTLP_ENDPOINT')) ??
    (query && hostOf(query, 'CLOVISOR_JAEGER_QUERY')) ??
    (otlpGrpc && otlpGrpc.replace(/^[a-z]+:\/\//, '').replace(/:\d+$/, '')) ??
    undefined;
  const jh = jaegerHost ?? HOST;
  const jExt = jaegerHost !== undefined;
  return {
    endpoints: {
      brokers: brokers ?? `${HOST}:${ports.kafka}`,
      redis: redis ?? `redis://${HOST}:${ports.redis}`,
      otlpHttp: trimUrl(otlpHttp ?? `http://${jh}:${jExt ? 4318 : ports.otlpHttp}`),
      otlpGrpc: otlpGrpc ?? `${jh}:${jExt ? 4317 : ports.otlpGrpc}`,
      jaegerQuery: trimUrl(query ?? `http://${jh}:${jExt ? 16686 : ports.jaegerQuery}`),
    },
    schemaRegistry: trimUrl(registry ?? `http://${HOST}:${ports.registry}${CCOMPAT_PATH}`),
    external: { kafka: brokers !== undefined, redis: redis !== undefined, jaeger: jExt, registry: registry !== undefined },
  };
}

/** The package lives at <repo>/packages/stack/dist, so the repo's stack/ folder is three levels up. */
function defaultSourcesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'stack');
}

export function resolveConfig(opts: StackOptions = {}): StackConfig {
  const env = opts.env ?? process.env;
  const home = homedir();
  const cacheDir =
    opts.cacheDir ??
    nonEmpty(env.CLOVISOR_CACHE_DIR) ??
    join(nonEmpty(env.XDG_CACHE_HOME) ?? join(home, '.cache'), 'clovisor');
  const stateDir =
    opts.stateDir ??
    nonEmpty(env.CLOVISOR_STATE_DIR) ??
    join(nonEmpty(env.XDG_STATE_HOME) ?? join(home, '.local', 'state'), 'clovisor', 'stack');
  const ports = resolvePorts(opts, env);
  return {
    cacheDir: resolve(cacheDir),
    stateDir: resolve(stateDir),
    sourcesDir: resolve(nonEmpty(env.CLOVISOR_STACK_SOURCES) ?? defaultSourcesDir()),
    ports,
    ...resolveEndpoints(ports, env),
  };
}
