import type { Kafka } from 'kafkajs';
import { UnavailableError, errorMessage } from '../errors.js';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** topic configs, e.g. retention.ms */
  configs?: Record<string, string>;
}

/** Creates the topics that are missing; existing ones are left exactly as they are. */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: -1,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return missing.map((s) => s.topic);
  } catch (err) {
    throw new UnavailableError('KAFKA_ADMIN', `cannot create topics: ${errorMessage(err)}`, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
