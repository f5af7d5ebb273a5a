// `clovisor topics create|describe` against the brokers: KafkaJS admin, one quiet client.
import { Kafka, logLevel, type Admin, type ConfigResourceTypes } from 'kafkajs';
import { ConfigError, UnavailableError, errorMessage } from '@clovisor/core';
import { configEntries, type TopicSettings } from './settings.js';

export interface CreateOutcome {
  settings: TopicSettings;
  created: boolean;
}

export interface PartitionDescription {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** earliest offset held, and the high-water mark */
  low: string;
  high: string;
}

export interface TopicDescription {
  topic: string;
  exists: boolean;
  partitions: PartitionDescription[];
  /** retention.ms, compression.type, cleanup.policy, … as the broker reports them */
  configs: Record<string, string>;
  /** records held: sum over partitions of high - low */
  records: number;
}

// ConfigResourceTypes.TOPIC: the enum is a CommonJS value that ESM cannot import by name
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

export const DESCRIBED_CONFIGS = ['retention.ms', 'retention.bytes', 'compression.type', 'cleanup.policy', 'segment.bytes', 'max.message.bytes', 'min.insync.replicas'];

export async function withAdmin<T>(brokers: string[], run: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'clovisor-topics', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 2 } }).admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new UnavailableError('KAFKA_UNREACHABLE', `Kafka unreachable at ${brokers.join(',')}: ${errorMessage(err)} (start it with \`clovisor stack up\` or pass --brokers)`, { cause: err });
  }
  try {
    return await run(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Creates the topics that are missing with their settings; existing ones are left as they are. */
export async function createTopics(admin: Admin, settings: TopicSettings[]): Promise<CreateOutcome[]> {
  const existing = new Set(await admin.listTopics());
  const missing = settings.filter((s) => !existing.has(s.topic));
  const factor = Math.max(...missing.map((s) => s.replicationFactor), -1);
  if (factor > 0) {
    // the broker's own answer is just "Replication-factor is invalid"
    const brokers = (await admin.describeCluster()).brokers.length;
    if (factor > brokers) throw new ConfigError(`--replication-factor ${factor}: the cluster has ${brokers} broker${brokers === 1 ? '' : 's'}, so at most ${brokers}`);
  }
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.partitions, replicationFactor: s.replicationFactor, configEntries: configEntries(s) })),
      });
    } catch (err) {
      // KafkaJS puts the broker's reason (e.g. a replication factor above the broker count) in errors[]
      const reasons = ((err as { errors?: Array<{ message?: string }> }).errors ?? []).map((e) => e.message).filter(Boolean);
      throw new ConfigError(`cannot create topics: ${reasons.length > 0 ? reasons.join('; ') : errorMessage(err)}`, { cause: err });
    }
  }
  return settings.map((s) => ({ settings: s, created: !existing.has(s.topic) }));
}

export async function describeTopics(admin: Admin, topics: string[]): Promise<TopicDescription[]> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const metadata = present.length > 0 ? (await admin.fetchTopicMetadata({ topics: present })).topics : [];
  const configs = present.length > 0
    ? (await admin.describeConfigs({ includeSynonyms: false, resources: present.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: DESCRIBED_CONFIGS })) })).resources
    : [];
  const out: TopicDescription[] = [];
  for (const topic of topics) {
    if (!existing.has(topic)) {
      out.push({ topic, exists: false, partitions: [], configs: {}, records: 0 });
      continue;
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const meta = metadata.find((m) => m.name === topic);
    const partitions = (meta?.partitions ?? []).map((p) => {
      const o = offsets.find((x) => x.partition === p.partitionId);
      return { partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, low: o?.low ?? '0', high: o?.high ?? '0' };
    }).sort((a, b) => a.partition - b.partition);
    const entries = configs.find((r) => r.resourceName === topic)?.configEntries ?? [];
    out.push({
      topic, exists: true, partitions,
      configs: Object.fromEntries(entries.map((e) => [e.configName, e.configValue])),
      records: partitions.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0),
    });
  }
  return out;
}
