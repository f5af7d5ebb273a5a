// Which records a replay reads: per partition, offsets [start, end). --start/--end are an offset
// (the same on every partition) or an ISO 8601 time (resolved per partition on the records'
// Kafka timestamps); the default end is each partition's high-water mark when the replay starts,
// so a replay of a topic that keeps growing still ends.
import type { Admin } from 'kafkajs';
import { UsageError } from '../flags.js';

export type Bound = { kind: 'offset'; offset: bigint } | { kind: 'time'; ms: number; text: string };

export interface PartitionRange {
  partition: number;
  /** first offset read */
  start: bigint;
  /** first offset not read */
  end: bigint;
}

const COMMAND = 'replay';
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** An offset (digits) or an ISO 8601 time; anything else is a usage error. */
export function parseBound(flag: string, value: string): Bound {
  const text = value.trim();
  if (/^\d{1,19}$/.test(text)) return { kind: 'offset', offset: BigInt(text) };
  const ms = ISO.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(COMMAND, `${flag} "${value}": expected an offset (e.g. 1200) or an ISO 8601 time (e.g. 2026-11-23T13:40:00Z)`);
  return { kind: 'time', ms, text };
}

/** Start after end, when both are of the same kind, is known before asking Kafka. */
export function checkOrder(start: Bound | null, end: Bound | null): void {
  if (start === null || end === null || start.kind !== end.kind) return;
  const after = start.kind === 'offset' ? start.offset > (end as { offset: bigint }).offset : start.ms > (end as { ms: number }).ms;
  if (after) throw new UsageError(COMMAND, `--start is after --end`);
}

/** The partition numbers to read: all of the topic's, or the --partition ones (which must exist). */
export function selectPartitions(existing: number[], wanted: string[]): number[] {
  if (wanted.length === 0) return [...existing].sort((a, b) => a - b);
  const out = new Set<number>();
  for (const w of wanted) {
    const n = /^\d{1,6}$/.test(w.trim()) ? Number(w) : Number.NaN;
    if (Number.isNaN(n)) throw new UsageError(COMMAND, `--partition "${w}": expected a partition number`);
    if (!existing.includes(n)) throw new UsageError(COMMAND, `--partition ${n}: the topic has partitions 0-${existing.length - 1}`);
    out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

async function offsetsAt(admin: Admin, topic: string, bound: Bound | null, fallback: Map<number, bigint>): Promise<Map<number, bigint>> {
  if (bound === null) return fallback;
  if (bound.kind === 'offset') return new Map([...fallback.keys()].map((p) => [p, bound.offset]));
  const found = await admin.fetchTopicOffsetsByTimestamp(topic, bound.ms);
  return new Map(found.map((f) => [f.partition, BigInt(f.offset)]));
}

/** Per selected partition, [start, end) clamped to the records the topic holds. */
export async function resolveRanges(admin: Admin, topic: string, partitions: number[], start: Bound | null, end: Bound | null): Promise<PartitionRange[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const low = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  const high = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  const starts = await offsetsAt(admin, topic, start, low);
  const ends = await offsetsAt(admin, topic, end, high);
  const clamp = (p: number, v: bigint | undefined, fallback: bigint): bigint => {
    const x = v ?? fallback;
    const lo = low.get(p) ?? 0n;
    const hi = high.get(p) ?? 0n;
    return x < lo ? lo : x > hi ? hi : x;
  };
  return partitions.map((p) => {
    const s = clamp(p, starts.get(p), low.get(p) ?? 0n);
    const e = clamp(p, ends.get(p), high.get(p) ?? 0n);
    return { partition: p, start: s, end: e < s ? s : e };
  });
}

export function totalRecords(ranges: PartitionRange[]): number {
  return ranges.reduce((n, r) => n + Number(r.end - r.start), 0);
}
