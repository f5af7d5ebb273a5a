import { isIP } from 'node:net';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from '@clovisor/core';
import { formatIp, parseIp } from '@clovisor/libbpf';

// Pure: the INT watchlist file, as int-host-reporter reads it (its --watchlist-conf):
//
//   rules:
//     - protocol: TCP            # TCP or UDP (any case here; int-host-reporter wants upper case)
//       src-addr: 10.0.0.0/24    # CIDR, or a plain address (= /32 or /128); absent = any
//       dst-addr: 10.0.1.5
//       dst-port: 8080           # our extension (int-host-reporter has the fields but ignores them)
//
// A packet is watched when it matches any rule. As in int-host-reporter, a file without rules
// watches nothing. Unknown keys are ignored as int-host-reporter ignores them (a file that works
// there must work here), but each is reported through onWarning, naming the rule and the key:
// a typo ("dst_addr") widens the rule to "any address".

/** An address prefix: `address` is the network (host bits cleared), in its canonical text form. */
export interface WatchlistNetwork {
  family: 4 | 6;
  address: string;
  prefixLength: number;
}

export interface WatchlistRule {
  protocol: 'TCP' | 'UDP';
  /** null = any source address (of either family, unless the other side fixes it) */
  source: WatchlistNetwork | null;
  destination: WatchlistNetwork | null;
  /** null = any port */
  sourcePort: number | null;
  destinationPort: number | null;
}

/** Rules the kernel map holds (RULES_MAX in bpf/int.bpf.c). */
export const WATCHLIST_MAX_RULES = 64;

const RULE_KEYS = ['protocol', 'src-addr', 'dst-addr', 'src-port', 'dst-port'] as const;

/**
 * Parses the YAML text of a watchlist file. Throws a ConfigError naming the rule (1-based, as
 * a person counts them in the file) and the field, and what to write instead.
 */
export function parseWatchlist(text: string, options: { maxRules?: number; source?: string; onWarning?: (message: string) => void } = {}): WatchlistRule[] {
  const where = options.source ?? 'watchlist';
  const warn = options.onWarning ?? (() => {});
  const maxRules = options.maxRules ?? WATCHLIST_MAX_RULES;
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${where}: not valid YAML (${detail})`, { cause: err });
  }
  // an empty file, or `rules:` with nothing under it: no rules, as int-host-reporter
  if (doc === null || doc === undefined) return [];
  if (!isRecord(doc)) throw new ConfigError(`${where}: expected a mapping with a \`rules:\` list at the top, e.g. "rules:\\n  - protocol: TCP\\n    dst-addr: 10.0.0.0/24"`);
  for (const key of Object.keys(doc)) {
    if (key !== 'rules') warn(`${where}: unknown top-level key "${key}" ignored: the file has only \`rules:\``);
  }
  const rules = doc['rules'];
  if (rules === null || rules === undefined) return [];
  if (!Array.isArray(rules)) throw new ConfigError(`${where}: \`rules\` must be a list (each item starting with "- protocol: TCP|UDP")`);
  if (rules.length > maxRules) throw new ConfigError(`${where}: ${rules.length} rules, but the kernel holds at most ${maxRules}: merge rules into wider CIDRs`);
  return rules.map((raw, i) => parseRule(raw, `${where}: rule ${i + 1}`, warn));
}

function parseRule(raw: unknown, where: string, warn: (message: string) => void): WatchlistRule {
  if (!isRecord(raw)) throw new ConfigError(`${where}: expected a mapping like "- protocol: TCP" with src-addr/dst-addr under it`);
  for (const key of Object.keys(raw)) {
    if (!(RULE_KEYS as readonly string[]).includes(key)) {
      warn(`${where}: unknown field "${key}" ignored${hint(key)}; a rule has ${RULE_KEYS.join(', ')}`);
    }
  }
  const protocol = raw['protocol'];
  if (protocol === undefined || protocol === null) throw new ConfigError(`${where}: protocol is missing: write "protocol: TCP" or "protocol: UDP"`);
  const upper = typeof protocol === 'string' ? protocol.trim().toUpperCase() : '';
  if (upper !== 'TCP' && upper !== 'UDP') throw new ConfigError(`${where}: protocol ${JSON.stringify(protocol)}: expected TCP or UDP`);
  const source = parseNetwork(raw['src-addr'], `${where}: src-addr`);
  const destination = parseNetwork(raw['dst-addr'], `${where}: dst-addr`);
  if (source && destination && source.family !== destination.family) {
    throw new ConfigError(`${where}: src-addr is IPv${source.family} but dst-addr is IPv${destination.family}: a packet has one family; split it into two rules`);
  }
  return {
    protocol: upper,
    source,
    destination,
    sourcePort: parsePort(raw['src-port'], `${where}: src-port`),
    destinationPort: parsePort(raw['dst-port'], `${where}: dst-port`),
  };
}

function parseNetwork(raw: unknown, where: string): WatchlistNetwork | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string') throw new ConfigError(`${where}: ${JSON.stringify(raw)}: expected an address or CIDR in quotes, e.g. "10.0.0.0/24" or "fd00::/64"`);
  const text = raw.trim();
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const found = address.includes('%') ? 0 : isIP(address);
  if (found === 0) throw new ConfigError(`${where}: "${raw}" is not an IPv4 or IPv6 address: expected e.g. "10.0.0.0/24", "10.0.0.5" or "fd00::/64"`);
  const family: 4 | 6 = found === 4 ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  let prefixLength = bits;
  if (slash !== -1) {
    const prefix = text.slice(slash + 1);
    prefixLength = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!(prefixLength >= 0 && prefixLength <= bits)) throw new ConfigError(`${where}: "${raw}": the prefix length must be 0-${bits} for IPv${family}`);
  }
  const bytes = parseIp(address, family);
  maskBytes(bytes, prefixLength);
  return { family, address: formatIp(bytes, family), prefixLength };
}

function parsePort(raw: unknown, where: string): number | null {
  if (raw === undefined || raw === null || raw === '') return null;
  // int-host-reporter's YAML struct has the ports as strings: accept "8080" as well as 8080
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new ConfigError(`${where}: ${JSON.stringify(raw)}: expected a port number 1-65535 (leave it out for any port)`);
  return value;
}

function maskBytes(bytes: Buffer, prefixLength: number): void {
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
}

function hint(key: string): string {
  const normalized = key.toLowerCase().replace(/_/g, '-');
  if ((RULE_KEYS as readonly string[]).includes(normalized)) return ` (did you mean "${normalized}"?)`;
  return '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One line per rule, for logs: "TCP 10.0.0.0/24:any -> any:8080". */
export function describeRule(rule: WatchlistRule): string {
  const side = (n: WatchlistNetwork | null, port: number | null) => `${n ? `${n.family === 6 ? `[${n.address}/${n.prefixLength}]` : `${n.address}/${n.prefixLength}`}` : 'any'}:${port ?? 'any'}`;
  return `${rule.protocol} ${side(rule.source, rule.sourcePort)} -> ${side(rule.destination, rule.destinationPort)}`;
}
