// Capture configuration kept in Redis by Clovisor (OPNFV Clover), parsed here without I/O so
// every accepted and rejected form is unit-tested. One bad entry never discards the good ones:
// it is reported as an issue (key, entry, why) and the rest of the key still applies.
import { isIPv4, isIPv6 } from 'node:net';

export const RedisConfigKeys = {
  labels: 'clovisor_labels',
  egress: 'clovisor_egress_match',
  /** Clovisor's misspelt key, still read so old deployments keep working */
  egressLegacy: 'clovior_egress_match',
  jaegerCollector: 'clovisor_jaeger_collector',
  jaegerAgent: 'clovisor_jaeger_agent',
} as const;
export type RedisConfigKey = (typeof RedisConfigKeys)[keyof typeof RedisConfigKeys];

/** What a key held: list or set members, a plain string, nothing, or a type we do not read. */
export type RawValue = string[] | string | null | { unsupportedType: string };
export type RawRedisConfig = Partial<Record<RedisConfigKey, RawValue>>;

/** Pods of `namespace`, optionally only those carrying label key=value. */
export interface LabelSelector {
  namespace: string;
  label: { key: string; value: string } | null;
}

/** Outbound traffic to trace: destination network (null = any address) and port, for pods whose name starts with podPrefix (null = all). */
export interface EgressRule {
  network: { family: 4 | 6; address: string; prefixLength: number } | null;
  port: number;
  podPrefix: string | null;
  key: RedisConfigKey;
}

export interface OtlpSuggestion {
  /** `http://<host>:4318`: the OTLP/HTTP port of a collector on the host Jaeger ran on */
  endpoint: string;
  from: RedisConfigKey;
}

export interface CaptureRedisConfig {
  selectors: LabelSelector[];
  egress: EgressRule[];
  otlp: OtlpSuggestion | null;
}

export interface ConfigIssue {
  key: RedisConfigKey;
  entry: string;
  reason: string;
}

export interface ParsedRedisConfig {
  config: CaptureRedisConfig;
  issues: ConfigIssue[];
}

export const DEFAULT_SELECTORS: readonly LabelSelector[] = Object.freeze([{ namespace: 'default', label: null }]);

export function defaultRedisConfig(): CaptureRedisConfig {
  return { selectors: DEFAULT_SELECTORS.map((s) => ({ ...s })), egress: [], otlp: null };
}

// Kubernetes naming rules (RFC 1123 label for namespaces, qualified names for label keys).
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const POD_PREFIX = /^[a-z0-9][-a-z0-9.]*$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;

/** Parses all keys; every entry is judged on its own. */
export function parseRedisConfig(raw: RawRedisConfig): ParsedRedisConfig {
  const issues: ConfigIssue[] = [];
  const selectors = parseLabels(raw[RedisConfigKeys.labels] ?? null, issues);
  const egress = [
    ...parseEgress(RedisConfigKeys.egress, raw[RedisConfigKeys.egress] ?? null, issues),
    ...parseEgress(RedisConfigKeys.egressLegacy, raw[RedisConfigKeys.egressLegacy] ?? null, issues),
  ];
  // the same rule under both keys applies once
  const seen = new Set<string>();
  const unique = egress.filter((r) => {
    const id = JSON.stringify([r.network, r.port, r.podPrefix]);
    return seen.has(id) ? false : (seen.add(id), true);
  });
  // the collector is what spans went to; the agent only relayed to it, so it is the fallback
  const otlp = parseJaeger(RedisConfigKeys.jaegerCollector, raw[RedisConfigKeys.jaegerCollector] ?? null, issues)
    ?? parseJaeger(RedisConfigKeys.jaegerAgent, raw[RedisConfigKeys.jaegerAgent] ?? null, issues);
  return { config: { selectors, egress: unique, otlp }, issues };
}

/** Members of a list key; a plain string is read as a comma/space separated list (hand-set with SET). */
function entries(key: RedisConfigKey, value: RawValue, issues: ConfigIssue[]): string[] {
  if (value === null) return [];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.map((v) => v.trim()).filter(Boolean);
  issues.push({ key, entry: '', reason: `key is a Redis ${value.unsupportedType}, expected a list (RPUSH ${key} ...)` });
  return [];
}

function parseLabels(value: RawValue, issues: ConfigIssue[]): LabelSelector[] {
  const key = RedisConfigKeys.labels;
  const out: LabelSelector[] = [];
  const seen = new Set<string>();
  for (const entry of entries(key, value, issues)) {
    const reason = labelProblem(entry);
    if (reason !== null) {
      issues.push({ key, entry, reason });
      continue;
    }
    if (seen.has(entry)) continue;
    seen.add(entry);
    const [namespace, labelKey, labelValue] = entry.split(':') as [string, string?, string?];
    out.push({ namespace, label: labelKey === undefined ? null : { key: labelKey, value: labelValue ?? '' } });
  }
  // nothing valid configured means Clovisor's default, not "monitor nothing"
  return out.length > 0 ? out : DEFAULT_SELECTORS.map((s) => ({ ...s }));
}

function labelProblem(entry: string): string | null {
  const parts = entry.split(':');
  if (parts.length !== 1 && parts.length !== 3) return 'expected <namespace> or <namespace>:<label-key>:<label-value>';
  const [namespace, labelKey, labelValue] = parts as [string, string?, string?];
  if (namespace.length > 63 || !NAMESPACE.test(namespace)) return `namespace "${namespace}" is not a Kubernetes namespace name (lowercase letters, digits, '-', at most 63)`;
  if (labelKey === undefined) return null;
  const slash = labelKey.lastIndexOf('/');
  const prefix = slash >= 0 ? labelKey.slice(0, slash) : null;
  const name = labelKey.slice(slash + 1);
  if (prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `label key prefix "${prefix}" is not a DNS subdomain`;
  if (name.length > 63 || !LABEL_NAME.test(name)) return `label key "${labelKey}" is not a valid label name`;
  if (labelValue !== '' && (labelValue!.length > 63 || !LABEL_NAME.test(labelValue!))) return `label value "${labelValue}" is not a valid label value`;
  return null;
}

function parseEgress(key: RedisConfigKey, value: RawValue, issues: ConfigIssue[]): EgressRule[] {
  const out: EgressRule[] = [];
  for (const entry of entries(key, value, issues)) {
    const rule = egressRule(entry);
    if (typeof rule === 'string') issues.push({ key, entry, reason: rule });
    else out.push({ ...rule, key });
  }
  return out;
}

/** `<ip|cidr|0>:<port>[:<pod-prefix>]`, IPv6 in brackets: `[fd00::/64]:443`. Returns the rule or why not. */
function egressRule(entry: string): Omit<EgressRule, 'key'> | string {
  let host: string;
  let rest: string;
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) return 'unclosed "[" around an IPv6 address';
    host = entry.slice(1, close);
    if (entry[close + 1] !== ':') return 'expected ":<port>" after "]"';
    rest = entry.slice(close + 2);
    if (!host.split('/')[0]!.includes(':')) return `"[${host}]": brackets are for IPv6 addresses only`;
  } else {
    const colon = entry.indexOf(':');
    if (colon < 0) return 'expected <ip or 0>:<port>[:<pod-name-prefix>]';
    host = entry.slice(0, colon);
    rest = entry.slice(colon + 1);
    if (rest.split(':').length > 2) return 'too many ":" (write IPv6 addresses in brackets, e.g. [fd00::1]:443)';
  }
  const [portText, podPrefix, ...extra] = rest.split(':') as [string, string?, ...string[]];
  if (extra.length > 0) return 'too many ":" fields';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return `port "${portText}" is not 1-65535`;
  if (podPrefix !== undefined && (podPrefix === '' || podPrefix.length > 253 || !POD_PREFIX.test(podPrefix))) {
    return `pod name prefix "${podPrefix}" is not the start of a pod name (lowercase letters, digits, '-', '.')`;
  }
  const network = parseNetwork(host);
  if (typeof network === 'string') return network;
  return { network, port: Number(portText), podPrefix: podPrefix ?? null };
}

function parseNetwork(host: string): EgressRule['network'] | string {
  if (host === '0') return null; // Clovisor's "any destination address"
  const [address, prefixText, ...extra] = host.split('/') as [string, string?, ...string[]];
  if (extra.length > 0) return `"${host}" has more than one "/"`;
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : null;
  if (family === null) return `"${address}" is not an IP address (or 0 for any)`;
  const max = family === 4 ? 32 : 128;
  if (prefixText === undefined) return { family, address, prefixLength: max };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `prefix length "/${prefixText}" is not 0-${max} for IPv${family}`;
  return { family, address, prefixLength: Number(prefixText) };
}

/**
 * Clovisor sent spans to Jaeger; we export OTLP. The collector's host is assumed to run an
 * OpenTelemetry collector (or Jaeger ≥ 1.35, which accepts OTLP) on the OTLP/HTTP port 4318,
 * whatever Jaeger port or path was configured: `jaeger-collector.istio-system:14268` →
 * `http://jaeger-collector.istio-system:4318`. The result is a suggestion: a flag or
 * environment variable given explicitly wins.
 */
function parseJaeger(key: RedisConfigKey, value: RawValue, issues: ConfigIssue[]): OtlpSuggestion | null {
  if (value === null) return null;
  if (typeof value !== 'string') {
    const type = Array.isArray(value) ? 'list/set' : value.unsupportedType;
    issues.push({ key, entry: '', reason: `key is a Redis ${type}, expected a string (SET ${key} <host>:<port>)` });
    return null;
  }
  const entry = value.trim();
  if (entry === '') return null;
  const host = jaegerHost(entry);
  if (host === null) {
    issues.push({ key, entry, reason: 'expected <host>[:<port>] or a http(s) URL' });
    return null;
  }
  return { endpoint: `http://${host}:4318`, from: key };
}

function jaegerHost(entry: string): string | null {
  let host: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    try {
      host = new URL(entry).hostname;
    } catch {
      return null;
    }
  } else {
    const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
    if (bracketed) host = `[${bracketed[1]!}]`;
    else {
      const m = /^([^:/]+)(?::\d{1,5})?$/.exec(entry);
      if (!m) return null;
      host = m[1]!;
    }
  }
  if (host.startsWith('[')) return isIPv6(host.slice(1, -1)) ? host : null;
  return HOST.test(host) && host.length <= 253 ? host : null;
}
