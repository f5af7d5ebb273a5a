// The settings `clovisor topics create` gives each of Clovisor's topics, and the flags that
// override them. Pure: names, durations, defaults; the admin calls are in admin.ts.
//
// Compression: Clovisor's stages read with KafkaJS, which decodes gzip batches only. A topic's
// compression.type makes the broker store (and serve) batches in that codec, so lz4, snappy or
// zstd on a topic the stages read would stop them ("LZ4 compression not implemented"). Those
// codecs are therefore refused for the segments, int, transactions and spans topics and
// allowed for the dead-letter topic, which only your own tools read.
import { Topics } from '@clovisor/core';
import { UsageError } from '../flags.js';

export type TopicKind = keyof typeof Topics;
export const TOPIC_KINDS = Object.keys(Topics) as TopicKind[];

export type Compression = 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'none' | 'producer';

export interface TopicSettings {
  topic: string;
  kind: TopicKind;
  partitions: number;
  /** -1: the broker's default */
  replicationFactor: number;
  /** -1: kept forever */
  retentionMs: number;
  compression: Compression;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Why each default is what it is: docs/topic-admin.md. */
export const DEFAULTS: Record<TopicKind, { retentionMs: number; compression: Compression }> = {
  // raw payloads: the biggest topic by far; three days to replay or export an incident
  segments: { retentionMs: 3 * DAY, compression: 'producer' },
  // per-packet hop records: high volume, only useful while fresh
  int: { retentionMs: 1 * DAY, compression: 'producer' },
  // small, text-heavy records that compress well; a week of history for your own consumers
  transactions: { retentionMs: 7 * DAY, compression: 'gzip' },
  spans: { retentionMs: 7 * DAY, compression: 'gzip' },
  // read by people, late: kept longest
  deadletter: { retentionMs: 14 * DAY, compression: 'gzip' },
};

/** Topics Clovisor's own stages consume: only gzip (or none) is readable by them. */
const READ_BY_STAGES: ReadonlySet<TopicKind> = new Set(['segments', 'int', 'transactions', 'spans']);

const COMMAND = 'topics';

/** `72h`, `7d`, `30m`, `1w`, `90s`, `500ms`, or `forever`. */
export function parseRetention(value: string): number {
  const text = value.trim().toLowerCase();
  if (text === 'forever' || text === 'infinite' || text === '-1') return -1;
  const m = /^(\d{1,9})(ms|s|m|h|d|w)$/.exec(text);
  if (!m) throw new UsageError(COMMAND, `--retention "${value}": expected a duration such as 12h, 3d, 2w, 30m or forever`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: DAY, w: 7 * DAY }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'];
  const ms = Number(m[1]) * unit;
  if (ms < 60_000) throw new UsageError(COMMAND, `--retention "${value}": at least 1 minute`);
  return ms;
}

export function formatRetention(ms: number): string {
  if (ms < 0) return 'forever';
  for (const [unit, size] of [['w', 7 * DAY], ['d', DAY], ['h', HOUR], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A topic as --topic names it: segments|int|transactions|spans|deadletter, or its full name. */
export function kindOf(name: string): TopicKind {
  const text = name.trim();
  const kind = TOPIC_KINDS.find((k) => k === text || Topics[k] === text);
  if (kind === undefined) {
    throw new UsageError(COMMAND, `--topic "${name}": expected one of ${TOPIC_KINDS.join(', ')} (or ${Object.values(Topics).join(', ')})`);
  }
  return kind;
}

/** describe also takes a replay's topics: <topic>.replay-<id> (clovisor replay). */
export function describedTopic(name: string): string {
  const text = name.trim();
  const replay = /^(.+)\.replay-[A-Za-z0-9_-]{1,64}$/.exec(text);
  if (replay !== null && Object.values(Topics).includes(replay[1] as (typeof Topics)[TopicKind])) return text;
  return Topics[kindOf(text)];
}

function intFlag(flag: string, raw: string | undefined, min: number, max: number): number | null {
  if (raw === undefined) return null;
  const n = /^\d{1,5}$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(COMMAND, `${flag} "${raw}": expected an integer from ${min} to ${max}`);
  return n;
}

export interface TopicFlags {
  topic?: string[];
  partitions?: string;
  retention?: string;
  compression?: string;
  'replication-factor'?: string;
}

/** The selected topics (default all five) with the defaults, overridden by the flags. */
export function resolveSettings(flags: TopicFlags, defaultPartitions: number): TopicSettings[] {
  const kinds = flags.topic?.length ? [...new Set(flags.topic.map(kindOf))] : TOPIC_KINDS;
  const partitions = intFlag('--partitions', flags.partitions, 1, 1024) ?? defaultPartitions;
  const replicationFactor = intFlag('--replication-factor', flags['replication-factor'], 1, 32) ?? -1;
  const retentionMs = flags.retention === undefined ? null : parseRetention(flags.retention);
  const compression = flags.compression;
  if (compression !== undefined && !['gzip', 'snappy', 'lz4', 'zstd', 'none'].includes(compression)) {
    throw new UsageError(COMMAND, `--compression "${compression}": expected gzip, snappy, lz4, zstd or none`);
  }
  return kinds.map((kind) => {
    const c = (compression as Compression | undefined) ?? DEFAULTS[kind].compression;
    if (READ_BY_STAGES.has(kind) && ['snappy', 'lz4', 'zstd'].includes(c)) {
      throw new UsageError(COMMAND, `--compression ${c} on ${Topics[kind]}: Clovisor's stages (KafkaJS) read gzip only; use gzip or none there (${c} is fine for deadletter)`);
    }
    return { topic: Topics[kind], kind, partitions, replicationFactor, retentionMs: retentionMs ?? DEFAULTS[kind].retentionMs, compression: c };
  });
}

/** The topic configs createTopics sets. */
export function configEntries(s: TopicSettings): Array<{ name: string; value: string }> {
  return [
    { name: 'retention.ms', value: String(s.retentionMs) },
    { name: 'compression.type', value: s.compression === 'none' ? 'uncompressed' : s.compression },
    { name: 'cleanup.policy', value: 'delete' },
  ];
}
