import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../logger.js';
import { ConfigError } from '../errors.js';

/** "host:port[,host:port...]" → broker list; rejects anything else with a clear error. */
export function parseBrokers(value: string): string[] {
  const brokers = value.split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new ConfigError('--brokers is empty: give host:port[,host:port...]');
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
      throw new ConfigError(`--brokers: "${b}" is not host:port`);
    }
  }
  return brokers;
}

/** A KafkaJS client whose own logging goes through ours (warnings and errors only). */
export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  const kafkaLog = log.child('kafkajs');
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      const line = `${message}`;
      if (entry.level <= logLevel.ERROR) kafkaLog.error(line, { broker: rest['broker'], error: rest['error'] });
      else kafkaLog.warn(line, { broker: rest['broker'], error: rest['error'] });
    },
  });
}
