import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

// Tests and benchmarks run their pipeline on topics and consumer groups of their own
// (CLOVISOR_TOPIC_SUFFIX), so a backlog left on the shared topics by anything else cannot
// delay them, and they leave nothing behind.

const BASES = ['clovisor.segments.v1', 'clovisor.int.v1', 'clovisor.transactions.v1', 'clovisor.spans.v1', 'clovisor.deadletter.v1'];
const STAGES = ['decoder', 'correlator', 'exporter', 'int-exporter'];

export interface IsolatedTopics {
  suffix: string;
  env: NodeJS.ProcessEnv;
  /** deletes the topics (replays' included) and consumer groups of this suffix */
  remove(): Promise<void>;
}

export function isolatedTopics(brokers: string, label: string): IsolatedTopics {
  const suffix = `.${label}-${randomBytes(3).toString('hex')}`;
  return {
    suffix,
    env: { ...process.env, CLOVISOR_TOPIC_SUFFIX: suffix },
    remove: async () => {
      const admin = new Kafka({ clientId: 'clovisor-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        // the base topics and their replays (<base><suffix>.replay-<id>)
        const topics = [...existing].filter((t) => BASES.some((b) => t === b + suffix || t.startsWith(`${b}${suffix}.`)));
        if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
        await admin.deleteGroups(STAGES.map((s) => `clovisor-${s}${suffix}`)).catch(() => undefined);
      } finally {
        await admin.disconnect();
      }
    },
  };
}
