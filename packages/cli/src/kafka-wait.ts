import { Kafka, logLevel } from 'kafkajs';
import { backoffDelayMs, errorMessage, sleep, type Logger } from '@clovisor/core';

/** Waits until the brokers answer, retrying with backoff and saying what to do, until aborted. */
export async function waitForKafka(brokers: string[], log: Logger, signal: AbortSignal): Promise<void> {
  // A quiet client of its own: one clear line per attempt instead of KafkaJS's retry chatter.
  const kafka = new Kafka({ clientId: 'clovisor-probe', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 0 } });
  for (let attempt = 0; !signal.aborted; attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (err) {
      const delay = backoffDelayMs(attempt, 500, 15_000);
      log.warn(`Kafka unreachable at ${brokers.join(',')}: ${errorMessage(err)}; retrying in ${(delay / 1000).toFixed(1)} s (start it with \`clovisor stack up\` or pass --brokers)`);
      await sleep(delay, signal);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
