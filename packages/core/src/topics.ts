import { ConfigError } from './errors.js';

// Default topic names (ARCHITECTURE.md, Topics and records). CLOVISOR_TOPIC_SUFFIX, read once at
// start, is appended to every topic and consumer-group name: several pipelines (a test run, a
// benchmark, a staging copy) can then share one Kafka without reading each other's records.

function topicSuffix(): string {
  const suffix = process.env['CLOVISOR_TOPIC_SUFFIX'] ?? '';
  if (!/^[A-Za-z0-9._-]{0,64}$/.test(suffix)) {
    throw new ConfigError(`CLOVISOR_TOPIC_SUFFIX "${suffix}": use at most 64 of A-Z a-z 0-9 . _ -`);
  }
  return suffix;
}

const suffix = topicSuffix();

export const Topics = {
  segments: `clovisor.segments.v1${suffix}`,
  int: `clovisor.int.v1${suffix}`,
  transactions: `clovisor.transactions.v1${suffix}`,
  spans: `clovisor.spans.v1${suffix}`,
  deadletter: `clovisor.deadletter.v1${suffix}`,
} as const;
export type TopicName = (typeof Topics)[keyof typeof Topics];

/** The consumer group of a stage: clovisor-decoder, clovisor-correlator, clovisor-exporter, clovisor-int-exporter. */
export function stageGroupId(stage: 'decoder' | 'correlator' | 'exporter' | 'int-exporter'): string {
  return `clovisor-${stage}${suffix}`;
}
