// Epoch nanoseconds (bigint) → OpenTelemetry HrTime [seconds, nanoseconds], exactly. A double
// holds only ~15.9 significant digits, so 1763890000123456789 ns cannot pass through a
// number; the split is done in bigint and each half fits a number exactly.

import type { HrTime } from '@opentelemetry/api';

const NS_PER_S = 1_000_000_000n;

export function nsToHrTime(ns: bigint): HrTime {
  if (ns < 0n) throw new RangeError(`negative timestamp ${ns} ns`);
  return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}
