import { ConfigError } from '@clovisor/core';
import type { PluginSpec } from './types.js';

/** `--plugin <protocol>=<path>`, e.g. `memcached=./plugins/memcached.js`. */
export function parsePluginSpec(value: string): PluginSpec {
  const match = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(value.trim());
  if (!match) throw new ConfigError(`--plugin "${value}": expected <protocol>=<module path>, e.g. --plugin memcached=./plugins/memcached/index.js`);
  return { protocol: match[1]!.toLowerCase(), path: match[2]!.trim(), source: 'flag' };
}

/**
 * Flag plugins plus Redis plugins; a protocol in both uses the Redis entry (the live,
 * cluster-wide setting) and falls back to the flag when the Redis entry is removed.
 */
export function mergePluginSpecs(flags: PluginSpec[], redis: PluginSpec[]): PluginSpec[] {
  const merged = new Map<string, PluginSpec>();
  for (const s of flags) merged.set(s.protocol, s);
  for (const s of redis) merged.set(s.protocol.toLowerCase(), { ...s, protocol: s.protocol.toLowerCase() });
  return [...merged.values()];
}
