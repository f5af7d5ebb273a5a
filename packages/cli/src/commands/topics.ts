// `clovisor topics create|describe`: Clovisor's topics with per-topic partitions, retention and
// compression (defaults in topics/settings.ts, docs/topic-admin.md), and what the brokers hold.
import { resolveRunConfig } from '../config.js';
import { parseFlags, UsageError } from '../flags.js';
import { HELP } from '../help.js';
import { createTopics, describeTopics, withAdmin, type TopicDescription } from '../topics/admin.js';
import { describedTopic, formatRetention, resolveSettings, TOPIC_KINDS, type TopicFlags } from '../topics/settings.js';
import { Topics } from '@clovisor/core';

const COMMAND = 'topics';

const CREATE_FLAGS = {
  topic: { type: 'string', multiple: true },
  partitions: { type: 'string' },
  retention: { type: 'string' },
  compression: { type: 'string' },
  'replication-factor': { type: 'string' },
  brokers: { type: 'string' },
} as const;

const DESCRIBE_FLAGS = {
  topic: { type: 'string', multiple: true },
  brokers: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Flags = TopicFlags & { brokers?: string; json?: boolean; _: string[] };

export async function topicsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(HELP[COMMAND] + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'create') return create(rest);
  if (sub === 'describe') return describe(rest);
  throw new UsageError(COMMAND, `unknown subcommand "${sub}": expected create or describe`);
}

function parse(args: string[], options: typeof CREATE_FLAGS | typeof DESCRIBE_FLAGS): Flags | 'help' {
  const flags = parseFlags<Flags>(COMMAND, args, options);
  if (flags !== 'help' && flags._.length > 0) throw new UsageError(COMMAND, `unexpected argument "${flags._[0]}"`);
  return flags;
}

async function create(args: string[]): Promise<number> {
  const flags = parse(args, CREATE_FLAGS);
  if (flags === 'help') return 0;
  const config = resolveRunConfig({ brokers: flags.brokers }, process.env);
  const settings = resolveSettings(flags, config.partitions);
  const outcomes = await withAdmin(config.brokers, (admin) => createTopics(admin, settings));
  for (const { settings: s, created } of outcomes) {
    const what = `${s.partitions} partitions, replication ${s.replicationFactor < 0 ? 'broker default' : s.replicationFactor}, retention ${formatRetention(s.retentionMs)}, compression ${s.compression}`;
    process.stdout.write(created ? `created ${s.topic} (${what})\n` : `exists  ${s.topic} (left as it is; see clovisor topics describe)\n`);
  }
  return 0;
}

async function describe(args: string[]): Promise<number> {
  const flags = parse(args, DESCRIBE_FLAGS);
  if (flags === 'help') return 0;
  const config = resolveRunConfig({ brokers: flags.brokers }, process.env);
  const topics = flags.topic?.length ? [...new Set(flags.topic.map(describedTopic))] : TOPIC_KINDS.map((k) => Topics[k]);
  const described = await withAdmin(config.brokers, (admin) => describeTopics(admin, topics));
  process.stdout.write(flags.json ? JSON.stringify(described, null, 2) + '\n' : described.map(formatDescription).join('\n') + '\n');
  return 0;
}

function formatDescription(d: TopicDescription): string {
  if (!d.exists) return `${d.topic}: does not exist (clovisor topics create)`;
  const c = d.configs;
  const retention = c['retention.ms'] === undefined ? '?' : `${c['retention.ms']} (${formatRetention(Number(c['retention.ms']))})`;
  const lines = [
    `${d.topic}: ${d.partitions.length} partitions, ${d.records} records held`,
    `  retention.ms=${retention} compression.type=${c['compression.type'] ?? '?'} cleanup.policy=${c['cleanup.policy'] ?? '?'} max.message.bytes=${c['max.message.bytes'] ?? '?'}`,
    ...d.partitions.map((p) => `  partition ${p.partition}: leader ${p.leader}, replicas ${p.replicas.join(',')}, isr ${p.isr.join(',')}, offsets ${p.low}..${p.high} (high-water mark ${p.high})`),
  ];
  return lines.join('\n');
}
