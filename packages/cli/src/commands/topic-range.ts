// A bounded range of one topic: from --start (an offset, or the first record at/after an ISO
// time) to --end (an offset, exclusive) or, by default and for a time, the high-water marks
// read when the command starts, so the read terminates even while producers keep writing.
// KafkaJS consumes only through a group: a throwaway group (deleted afterwards) seeks each
// partition to its start; nothing is committed.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { ConfigError, errorMessage, UnavailableError } from '@clovisor/core';

const STALL_MS = 60_000;

export type RangeBound = { kind: 'offset'; offset: bigint } | { kind: 'time'; ms: number; ns: bigint };

/** "12345" → an offset; "2026-11-23T10:00:00Z" (or with fractional seconds) → a time. */
export function parseBound(flag: string, value: string): RangeBound {
  if (/^\d{1,19}$/.test(value)) return { kind: 'offset', offset: BigInt(value) };
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) {
    throw new ConfigError(`${flag} "${value}": give an offset (e.g. 1200) or an ISO time with a zone (e.g. 2026-11-23T10:00:00Z)`);
  }
  const fraction = BigInt((m[2] ?? '').padEnd(9, '0'));
  return { kind: 'time', ms: ms + Number(fraction / 1_000_000n), ns: BigInt(ms) * 1_000_000n + fraction };
}

export interface PartitionRange {
  partition: number;
  /** first offset to read */
  start: bigint;
  /** first offset not to read */
  end: bigint;
}

export interface RangeRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** Per partition: [start, end) from the bounds, within [low, high-water mark). */
export async function resolveRange(kafka: Kafka, topic: string, partitions: number[] | null, start: RangeBound | null, end: RangeBound | null): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    if (!existing.has(topic)) throw new ConfigError(`topic ${topic} does not exist; check --topic (clovisor topics describe lists them)`);
    const marks = await admin.fetchTopicOffsets(topic);
    const known = new Set(marks.map((m) => m.partition));
    for (const p of partitions ?? []) {
      if (!known.has(p)) throw new ConfigError(`--partition ${p}: ${topic} has partitions 0-${marks.length - 1}`);
    }
    const byTime = start?.kind === 'time' ? await admin.fetchTopicOffsetsByTimestamp(topic, start.ms) : [];
    const ranges: PartitionRange[] = [];
    for (const m of marks.sort((a, b) => a.partition - b.partition)) {
      if (partitions !== null && !partitions.includes(m.partition)) continue;
      const low = BigInt(m.low);
      const high = BigInt(m.high);
      let from = low;
      if (start?.kind === 'offset') from = start.offset > low ? start.offset : low;
      if (start?.kind === 'time') {
        const at = BigInt(byTime.find((t) => t.partition === m.partition)?.offset ?? m.high);
        from = at < 0n ? high : at;
      }
      const to = end?.kind === 'offset' && end.offset < high ? end.offset : high;
      ranges.push({ partition: m.partition, start: from, end: to > from ? to : from });
    }
    return ranges;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new UnavailableError('KAFKA_UNREACHABLE', `cannot read the offsets of ${topic}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Hands every record of the ranges to `handle`, each offset once, in offset order per partition. */
export async function readRange(kafka: Kafka, topic: string, ranges: PartitionRange[], handle: (record: RangeRecord) => Promise<void> | void): Promise<void> {
  const pending = ranges.filter((r) => r.end > r.start);
  if (pending.length === 0) return;
  const next = new Map(pending.map((r) => [r.partition, r.start]));
  const ends = new Map(pending.map((r) => [r.partition, r.end]));
  const groupId = `clovisor-range-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024 });
  let lastProgress = Date.now();
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });
  done.catch(() => undefined); // a failure before `await done` is not an unhandled rejection
  consumer.on(consumer.events.CRASH, (event) => { if (!event.payload.restart) fail(event.payload.error); });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const expected = next.get(batch.partition);
        const end = ends.get(batch.partition);
        lastProgress = Date.now();
        if (expected === undefined || end === undefined) {
          // outside the range (or finished): fetch no more of it
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          return;
        }
        let position = expected;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          // before the seek took effect, or fetched twice: each offset once
          if (offset < position || offset >= end) continue;
          await handle({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value });
          position = offset + 1n;
        }
        // the range may end on offsets no record has (transaction markers, compaction)
        if (position >= end || BigInt(batch.lastOffset()) + 1n >= end) {
          next.delete(batch.partition);
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          if (next.size === 0) finish();
        } else next.set(batch.partition, position);
        await heartbeat();
      },
    });
    for (const r of pending) consumer.seek({ topic, partition: r.partition, offset: r.start.toString() });
    const stall = setInterval(() => {
      if (Date.now() - lastProgress > STALL_MS) {
        fail(new UnavailableError('KAFKA_STALLED', `no records from ${topic} for ${STALL_MS / 1000} s with partitions ${[...next.keys()].join(',')} unfinished; is the broker up?`));
      }
    }, 1000);
    try {
      await done;
    } finally {
      clearInterval(stall);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect().then(() => admin.deleteGroups([groupId])).catch(() => undefined).finally(() => admin.disconnect().catch(() => undefined));
  }
}
