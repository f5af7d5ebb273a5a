import { BpfError } from './errors.js';
import { native } from './native.js';

/**
 * CLOCK_REALTIME − CLOCK_MONOTONIC in ns, sampled in C. Add it to bpf_ktime_get_ns() values to
 * get epoch ns. Sample once at start (and again if the wall clock is stepped).
 */
export function clockOffsetNs(): bigint {
  return native().clockOffsetNs();
}

/** CLOCK_MONOTONIC now, the clock of bpf_ktime_get_ns(). */
export function monotonicNs(): bigint {
  return native().monotonicNs();
}

/** ifindex of a network interface in this process's network namespace. */
export function ifindexOf(name: string): number {
  // IFNAMSIZ is 16 including the NUL; '/' and whitespace can never be in a name.
  if (name.length === 0 || name.length > 15 || /[/\s]/.test(name)) {
    throw new BpfError('EINVAL', `invalid interface name ${JSON.stringify(name)}: check \`ip link\``);
  }
  const idx = native().ifNameToIndex(name);
  if (idx === 0) throw new BpfError('ENODEV', `unknown interface ${name}: check \`ip link\``);
  return idx;
}
