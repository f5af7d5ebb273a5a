// One replay, start to end: resolve the range, create the replay's topics, read the range in
// merge order through the decode and correlate cores, write the output, report the counts.
// The command (commands/replay.ts) and the benchmark both call runReplay.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import {
  ConfigError, Topics, UnavailableError, codecs, createKafka, createLogger, ensureTopics, errorMessage,
  type Logger,
} from '@clovisor/core';
import { PluginHost, type PluginSpec } from '@clovisor/decoder';
import type { OtlpPusher } from '@clovisor/exporter';
import { UsageError } from '../flags.js';
import { ReplayPipeline, type ReplayCounts } from './pipeline.js';
import { Progress, type ProgressOutput } from './progress.js';
import { resolveRanges, selectPartitions, totalRecords, type Bound, type PartitionRange } from './range.js';
import { RangeReader } from './reader.js';
import { kafkaSink, otlpSink, type ReplayTopics } from './sinks.js';
import { WorkerProducer } from './worker-producer.js';

export interface ReplayOptions {
  brokers: string[];
  from: string;
  start: Bound | null;
  end: Bound | null;
  /** --partition values as given; empty: every partition */
  partitions: string[];
  id: string;
  plugins: PluginSpec[];
  legacyTags: boolean;
  /** spans to this endpoint instead of the replay's span topic */
  otlp: { protocol: 'http' | 'grpc'; endpoint: string } | null;
  /** where the progress goes; null: none */
  progress: ProgressOutput | null;
  /** aborted: stop reading, flush what was decoded, report it as interrupted */
  signal?: AbortSignal;
  log?: Logger;
}

export interface ReplayResult {
  id: string;
  from: string;
  ranges: PartitionRange[];
  topics: ReplayTopics;
  /** the OTLP target spans went to, or null (the span topic) */
  otlpTarget: string | null;
  counts: ReplayCounts;
  /** from the first read to the last output written (Kafka group join included) */
  durationMs: number;
  interrupted: boolean;
}

export function replayTopics(id: string): ReplayTopics {
  return { transactions: `${Topics.transactions}.replay-${id}`, spans: `${Topics.spans}.replay-${id}`, deadletter: `${Topics.deadletter}.replay-${id}` };
}

export async function runReplay(o: ReplayOptions): Promise<ReplayResult> {
  const log = o.log ?? createLogger('clovisor-replay');
  const { ranges, partitionIds } = await plan(o);
  const topics = replayTopics(o.id);
  const kafka = createKafka(o.brokers, 'clovisor-replay', log);
  const outputs = o.otlp === null ? [topics.transactions, topics.spans, topics.deadletter] : [topics.deadletter];
  await ensureTopics(kafka, outputs.map((topic) => ({ topic, numPartitions: partitionIds.length })));

  const plugins = o.plugins.length > 0 ? await loadPlugins(o.plugins, log) : null;
  const producer = new WorkerProducer(o.brokers);
  let pusher: OtlpPusher | null = null;
  let reader: RangeReader | null = null;
  try {
    // the OTLP exporters (gRPC, protobuf) take a tenth of a second to load: only when used
    if (o.otlp !== null) pusher = (await import('@clovisor/exporter')).createOtlpPusher({ protocol: o.otlp.protocol, endpoint: o.otlp.endpoint });
    const sink = pusher === null ? kafkaSink(producer, topics) : otlpSink(pusher, producer, topics.deadletter);
    const pipeline = new ReplayPipeline(sink, { plugins, legacyTags: o.legacyTags });
    const total = totalRecords(ranges);
    const progress = o.progress === null ? null : new Progress(total, o.progress);
    const began = performance.now();
    const cpu = process.cpuUsage();
    let interrupted = false;
    if (total > 0) {
      const decode = codecs().segments;
      reader = new RangeReader(kafka, o.from, partitionIds, ranges, { groupId: `clovisor-replay-${o.id}-${randomBytes(4).toString('hex')}`, decode: (v) => decode.decode(v) });
      await reader.start();
      log.debug('reading', { afterMs: Math.round(performance.now() - began) });
      for await (const item of reader.records()) {
        await pipeline.push(item);
        progress?.update(pipeline.counts.records);
        if (o.signal?.aborted === true) { interrupted = true; break; }
      }
    }
    log.debug('read', { afterMs: Math.round(performance.now() - began), records: pipeline.counts.records, fetchWaits: reader?.waits, fetchWaitMs: Math.round(reader?.waitedMs ?? 0) });
    await pipeline.finish();
    progress?.end();
    const used = process.cpuUsage(cpu);
    log.debug('written', { afterMs: Math.round(performance.now() - began), cpuMs: Math.round((used.user + used.system) / 1000) });
    return {
      id: o.id, from: o.from, ranges, topics, otlpTarget: pusher?.target ?? null,
      counts: pipeline.counts, durationMs: performance.now() - began, interrupted,
    };
  } finally {
    await reader?.close();
    await pusher?.shutdown().catch(() => undefined);
    await producer.stop().catch(() => undefined);
    await plugins?.close();
  }
}

/** The offsets to read, or a one-line usage error: unknown topic or partition, id already used. */
async function plan(o: ReplayOptions): Promise<{ ranges: PartitionRange[]; partitionIds: number[] }> {
  // A quiet client: an unreachable Kafka is one line, not KafkaJS's retry chatter.
  const admin = new Kafka({ clientId: 'clovisor-replay', brokers: o.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 2 } }).admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new UnavailableError('KAFKA_UNREACHABLE', `Kafka unreachable at ${o.brokers.join(',')}: ${errorMessage(err)} (start it with \`clovisor stack up\` or pass --brokers)`, { cause: err });
  }
  try {
    const existing = new Set(await admin.listTopics());
    if (!existing.has(o.from)) throw new UsageError('replay', `--from ${o.from}: no such topic at ${o.brokers.join(',')}`);
    const metadata = await admin.fetchTopicMetadata({ topics: [o.from] });
    const ids = (metadata.topics[0]?.partitions ?? []).map((p) => p.partitionId);
    const selected = selectPartitions(ids, o.partitions);
    const ranges = await resolveRanges(admin, o.from, selected, o.start, o.end);
    for (const topic of Object.values(replayTopics(o.id))) await refuseUsed(admin, existing, topic, o.id);
    return { ranges, partitionIds: ids };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A replay id names its output: a second replay into the same topics would mix two runs. */
async function refuseUsed(admin: Admin, existing: Set<string>, topic: string, id: string): Promise<void> {
  if (!existing.has(topic)) return;
  const held = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  if (held > 0) throw new UsageError('replay', `--id ${id}: ${topic} already holds ${held} records from an earlier replay; pick another --id or delete the topic`);
}

/** The --plugin modules, loaded before anything is read; one that does not load is a config error. */
async function loadPlugins(specs: PluginSpec[], log: Logger): Promise<PluginHost> {
  const host = new PluginHost(log.child('plugins'));
  await host.configure([...specs]);
  const loaded = new Set(host.stats().plugins.map((p) => p.protocol));
  const missing = specs.find((s) => !loaded.has(s.protocol));
  if (missing !== undefined) {
    await host.close();
    throw new ConfigError(`--plugin ${missing.protocol}=${missing.path}: cannot be loaded (see the log line above and docs/plugins.md)`);
  }
  return host;
}
