import type { Kafka } from 'kafkajs';
import { UnavailableError, errorMessage } from '../errors.js';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** topic configs, e.g. retention.ms */
  configs?: Record<string, string>;
}

const ATTEMPTS = 4;

/**
 * Creates the topics that are missing; existing ones are left exactly as they are. Retried a few
 * times: right after a creation the broker can still answer "does not host this topic-partition"
 * while leaders are elected, and another process may be creating the same topics at once (the
 * next attempt then finds them).
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], delayMs = 300): Promise<string[]> {
  const created: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      created.push(...(await createMissing(kafka, specs)));
      return created;
    } catch (err) {
      if (attempt >= ATTEMPTS) throw new UnavailableError('KAFKA_ADMIN', `cannot create topics: ${errorMessage(err)}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
    }
  }
}

async function createMissing(kafka: Kafka, specs: TopicSpec[]): Promise<string[]> {
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
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
