import { isIPv4 } from 'node:net';
import { hostname } from 'node:os';
import { ConfigError, parseBrokers, parsePortRule, type PortRule } from '@clovisor/core';
import type { PluginSpec } from '@clovisor/decoder';
// the subpath, not the package: `clovisor capture` must not load the whole decoder (memory)
import { parsePluginSpec } from '@clovisor/decoder/plugin-spec';

// Every setting has a flag, an environment variable and a default (the local stack).
// Flags win over the environment, the environment over defaults.

export interface InterfaceSpec {
  name: string;
  service: string | null;
}

export interface RunConfig {
  brokers: string[];
  redisUrl: string;
  otlpEndpoint: string;
  otlpProtocol: 'http' | 'grpc';
  interfaces: InterfaceSpec[];
  ports: PortRule[];
  node: string;
  snaplen: number;
  /** Prometheus /metrics port on 0.0.0.0 (every stage of the process); 0 = no metrics server. The CLI's per-command default: stage-metrics.ts */
  metricsPort: number;
  /** node NICs where packets of flows known from pod interfaces are timed */
  nodeInterfaces: string[];
  /** max_entries of the kernel flow table */
  flowTableSize: number;
  flowIdleTimeoutSeconds: number;
  /** size of the capture ring buffer (BPF `events`) in MiB, a power of two */
  ringSizeMiB: number;
  partitions: number;
  /** decoder plugins from --plugin / CLOVISOR_PLUGINS (more come from Redis at run time) */
  plugins: PluginSpec[];
  /** correlator: also put Clovisor's original tag names on HTTP spans */
  legacyTags: boolean;
  /** Confluent Schema Registry: write its wire format, read it besides single-object encoding */
  schemaRegistry: string | null;
  /** capture: follow the pods of this node in Kubernetes instead of --interface/--port */
  kubernetes: boolean;
  /** --kubeconfig; null = KUBECONFIG, ~/.kube/config or in-cluster */
  kubeconfig: string | null;
  /** capture --kubernetes: where the attached interfaces are recorded (stale filter cleanup after a crash) */
  stateDir: string;
  /** whether --otlp-endpoint / CLOVISOR_OTLP_ENDPOINT was given (else Redis may suggest one) */
  otlpEndpointExplicit: boolean;
  /** INT telemetry of capture (--int); null = off */
  int: IntRunConfig | null;
}

export interface IntRunConfig {
  /** --int-watchlist; null = every TCP/UDP packet on the traced interfaces */
  watchlistPath: string | null;
  reportIntervalMs: number;
  latencyBucketShift: number;
  /** GET /api/v1/topology port; 0 = off */
  topologyPort: number;
  /** --node-address / NODE_IP; null = the first IPv4 of the first --node-interface */
  nodeAddress: string | null;
}

export type Env = Record<string, string | undefined>;

export const Defaults = {
  brokers: '127.0.0.1:9092',
  redisUrl: 'redis://127.0.0.1:6379',
  otlpHttp: 'http://127.0.0.1:4318',
  otlpGrpc: 'http://127.0.0.1:4317',
  snaplen: 4096,
  metricsPort: 9464,
  partitions: 3,
  stateDir: '/run/clovisor',
  flowTableSize: 131_072,
  flowIdleTimeoutSeconds: 120,
  ringSizeMiB: 4,
  intReportIntervalMs: 1000,
  /** 2^16 ns = 65.5 us latency buckets (docs/int.md, "Capture: watchlist, records, topology") */
  intLatencyBucketShift: 16,
  topologyPort: 4048,
} as const;

/** `eth0` or `veth1=frontend` (interface name, then the Kubernetes service it stands for). */
export function parseInterfaceSpec(value: string): InterfaceSpec {
  const match = /^([^=\s/]{1,15})(?:=([A-Za-z0-9][A-Za-z0-9._-]*))?$/.exec(value.trim());
  if (!match) {
    throw new ConfigError(`--interface "${value}": expected <ifname>[=<service-name>] (interface names are at most 15 characters)`);
  }
  return { name: match[1]!, service: match[2] ?? null };
}

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function intSetting(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} "${raw}": expected an integer from ${min} to ${max}`);
  return value;
}

/** The kernel wants a ring buffer of a power-of-two number of pages. */
function ringSize(raw: string | undefined): number {
  const mib = intSetting('--ring-size', raw, Defaults.ringSizeMiB, 1, 256);
  if ((mib & (mib - 1)) !== 0) throw new ConfigError(`--ring-size "${raw}": expected a power of two (MiB): 1, 2, 4, 8, … 256`);
  return mib;
}

/** A boolean environment variable: 1/true/yes or 0/false/no (any case); unset or empty = false. */
function boolSetting(name: string, raw: string | undefined): boolean {
  const value = (raw ?? '').trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['', '0', 'false', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} "${raw}": expected 1 or 0 (true/false, yes/no)`);
}

function url(name: string, raw: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} "${raw}": not a URL (expected e.g. ${protocols[0]}//127.0.0.1)`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(`${name} "${raw}": scheme must be one of ${protocols.join(' ')}`);
  return raw.replace(/\/+$/, '');
}

function optionalUrl(name: string, raw: string | undefined, protocols: string[]): string | null {
  return raw === undefined || raw === '' ? null : url(name, raw, protocols);
}

export interface RunFlags {
  interface?: string[];
  port?: string[];
  brokers?: string;
  redis?: string;
  'otlp-endpoint'?: string;
  'otlp-protocol'?: string;
  node?: string;
  snaplen?: string;
  'metrics-port'?: string;
  partitions?: string;
  plugin?: string[];
  'legacy-tags'?: boolean;
  'node-interface'?: string[];
  'flow-table-size'?: string;
  'flow-idle-timeout'?: string;
  'ring-size'?: string;
  'schema-registry'?: string;
  kubernetes?: boolean;
  kubeconfig?: string;
  int?: boolean;
  'int-watchlist'?: string;
  'int-report-interval-ms'?: string;
  'int-latency-bucket-shift'?: string;
  'topology-port'?: string;
  'node-address'?: string;
}

const INT_ONLY_FLAGS = ['int-watchlist', 'int-report-interval-ms', 'int-latency-bucket-shift', 'topology-port', 'node-address'] as const;

/** INT settings, or null without --int / CLOVISOR_INT=1; INT flags without --int are refused. */
function resolveInt(flags: RunFlags, env: Env): IntRunConfig | null {
  const on = flags.int === true || boolSetting('CLOVISOR_INT', env['CLOVISOR_INT']);
  if (!on) {
    const stray = INT_ONLY_FLAGS.find((f) => flags[f] !== undefined);
    if (stray) throw new ConfigError(`--${stray} is a setting of INT telemetry: add --int (or drop --${stray})`);
    return null;
  }
  const watchlist = flags['int-watchlist'] ?? env['CLOVISOR_INT_WATCHLIST'] ?? '';
  const nodeAddress = (flags['node-address'] ?? env['CLOVISOR_NODE_ADDRESS'] ?? env['NODE_IP'] ?? '').trim();
  if (nodeAddress !== '' && !isIPv4(nodeAddress)) {
    throw new ConfigError(`--node-address "${nodeAddress}": expected the node's IPv4 address (the INT switch id), e.g. 192.0.2.10`);
  }
  return {
    watchlistPath: watchlist.trim() === '' ? null : watchlist.trim(),
    reportIntervalMs: intSetting('--int-report-interval-ms', flags['int-report-interval-ms'] ?? env['CLOVISOR_INT_REPORT_INTERVAL_MS'], Defaults.intReportIntervalMs, 0, 3_600_000),
    latencyBucketShift: intSetting('--int-latency-bucket-shift', flags['int-latency-bucket-shift'] ?? env['CLOVISOR_INT_LATENCY_BUCKET_SHIFT'], Defaults.intLatencyBucketShift, 0, 64),
    topologyPort: intSetting('--topology-port', flags['topology-port'] ?? env['CLOVISOR_TOPOLOGY_PORT'], Defaults.topologyPort, 0, 65535),
    nodeAddress: nodeAddress === '' ? null : nodeAddress,
  };
}

export function resolveRunConfig(flags: RunFlags, env: Env): RunConfig {
  const otlpProtocol = flags['otlp-protocol'] ?? env['CLOVISOR_OTLP_PROTOCOL'] ?? 'http';
  if (otlpProtocol !== 'http' && otlpProtocol !== 'grpc') {
    throw new ConfigError(`--otlp-protocol "${otlpProtocol}": expected http or grpc`);
  }
  const interfaces = (flags.interface?.length ? flags.interface : splitList(env['CLOVISOR_INTERFACES'])).map(parseInterfaceSpec);
  const names = new Set<string>();
  for (const i of interfaces) {
    if (names.has(i.name)) throw new ConfigError(`--interface ${i.name} is given twice`);
    names.add(i.name);
  }
  const nodeInterfaces = (flags['node-interface']?.length ? flags['node-interface'] : splitList(env['CLOVISOR_NODE_INTERFACES'])).map((raw) => {
    const name = raw.trim();
    if (!/^[^=\s/]{1,15}$/.test(name)) throw new ConfigError(`--node-interface "${raw}": expected an interface name (at most 15 characters)`);
    if (names.has(name)) throw new ConfigError(`${name} is given both as --interface and as --node-interface: a pod interface or a node NIC, not both`);
    return name;
  });
  if (new Set(nodeInterfaces).size !== nodeInterfaces.length) throw new ConfigError('--node-interface: an interface is given twice');
  const ports = (flags.port?.length ? flags.port : splitList(env['CLOVISOR_PORTS'])).map(parsePortRule);
  const seen = new Map<number, string>();
  for (const p of ports) {
    const prior = seen.get(p.port);
    if (prior !== undefined && prior !== p.protocol) throw new ConfigError(`--port ${p.port} is given as both ${prior} and ${p.protocol}`);
    seen.set(p.port, p.protocol);
  }
  const plugins = (flags.plugin?.length ? flags.plugin : splitList(env['CLOVISOR_PLUGINS'])).map(parsePluginSpec);
  const pluginNames = new Set<string>();
  for (const p of plugins) {
    if (pluginNames.has(p.protocol)) throw new ConfigError(`--plugin ${p.protocol} is given twice`);
    pluginNames.add(p.protocol);
  }
  return {
    brokers: parseBrokers(flags.brokers ?? env['CLOVISOR_BROKERS'] ?? Defaults.brokers),
    redisUrl: url('--redis', flags.redis ?? env['CLOVISOR_REDIS_URL'] ?? Defaults.redisUrl, ['redis:', 'rediss:']),
    otlpEndpoint: url(
      '--otlp-endpoint',
      flags['otlp-endpoint'] ?? env['CLOVISOR_OTLP_ENDPOINT'] ?? (otlpProtocol === 'grpc' ? Defaults.otlpGrpc : Defaults.otlpHttp),
      ['http:', 'https:'],
    ),
    otlpProtocol,
    interfaces,
    ports,
    node: flags.node ?? env['CLOVISOR_NODE_NAME'] ?? env['NODE_NAME'] ?? hostname(),
    snaplen: intSetting('--snaplen', flags.snaplen ?? env['CLOVISOR_SNAPLEN'], Defaults.snaplen, 64, 8192),
    metricsPort: intSetting('--metrics-port', flags['metrics-port'] ?? env['CLOVISOR_METRICS_PORT'], Defaults.metricsPort, 0, 65535),
    nodeInterfaces,
    flowTableSize: intSetting('--flow-table-size', flags['flow-table-size'] ?? env['CLOVISOR_FLOW_TABLE_SIZE'], Defaults.flowTableSize, 1024, 16_777_216),
    flowIdleTimeoutSeconds: intSetting('--flow-idle-timeout', flags['flow-idle-timeout'] ?? env['CLOVISOR_FLOW_IDLE_TIMEOUT'], Defaults.flowIdleTimeoutSeconds, 1, 86_400),
    ringSizeMiB: ringSize(flags['ring-size'] ?? env['CLOVISOR_RING_SIZE']),
    partitions: intSetting('--partitions', flags.partitions ?? env['CLOVISOR_PARTITIONS'], Defaults.partitions, 1, 1024),
    plugins,
    legacyTags: flags['legacy-tags'] === true || boolSetting('CLOVISOR_LEGACY_TAGS', env['CLOVISOR_LEGACY_TAGS']),
    schemaRegistry: optionalUrl('--schema-registry', flags['schema-registry'] ?? env['CLOVISOR_SCHEMA_REGISTRY'], ['http:', 'https:']),
    kubernetes: flags.kubernetes === true || boolSetting('CLOVISOR_KUBERNETES', env['CLOVISOR_KUBERNETES']),
    kubeconfig: flags.kubeconfig ?? null,
    stateDir: env['CLOVISOR_STATE_DIR'] || Defaults.stateDir,
    otlpEndpointExplicit: flags['otlp-endpoint'] !== undefined || env['CLOVISOR_OTLP_ENDPOINT'] !== undefined,
    int: resolveInt(flags, env),
  };
}
