import type { Kafka } from 'kafkajs';
import { Topics, TransformStage, stageGroupId, codecs, type Logger, type ProcessOutput, type RecordProducer, type SegmentBatch, type Transaction } from '@clovisor/core';
import { transactionKey } from '@clovisor/correlator';
import { FlowDecoder, type FlowDecoderOptions } from '../core/decoder.js';
import { PluginHost, type PluginHostStats } from '../plugins/host.js';
import { PluginConfigWatcher, type PluginConfigWatcherStats } from '../plugins/redis-config.js';
import type { PluginLimits, PluginSpec } from '../plugins/types.js';
import type { DecoderMetricsSnapshot } from './metrics.js';

export interface DecoderPluginOptions {
  /** from --plugin / CLOVISOR_PLUGINS */
  specs?: PluginSpec[];
  /** Redis with clovisor_proto_cfg; null: flag plugins only */
  redisUrl?: string | null;
  limits?: Partial<PluginLimits>;
  /** Redis re-read period; default 10 s */
  redisPeriodMs?: number;
  /** other topics and group than the pipeline's (tests, replays into a side topic) */
  topics?: { input: string; output: string; groupId: string };
}

/**
 * clovisor.segments.v1 → TCP reassembly + protocol parsers → clovisor.transactions.v1
 * (key: x-request-id, else trace id, else the connection). Idle flows are flushed every second.
 * Flow state lives in memory: after a restart, flows already in progress resume mid-stream
 * (the reassembler resyncs on the next message), so their first transaction may be partial.
 * Flows routed to a plugin (by port name hint or server port) are decoded in that plugin's
 * worker thread; a batch the plugin fails on goes to clovisor.deadletter.v1 (PLUGIN_*).
 */
export class DecoderStage extends TransformStage<SegmentBatch> {
  readonly decoder: FlowDecoder;
  readonly plugins: PluginHost;
  private watcher: PluginConfigWatcher | null = null;
  private readonly configLog: Logger;

  constructor(kafka: Kafka, producer: RecordProducer, log: Logger, options: FlowDecoderOptions = {}, private readonly pluginOptions: DecoderPluginOptions = {}) {
    const decoder = new FlowDecoder(options);
    const plugins = new PluginHost(log.child('plugins'), pluginOptions.limits);
    const { segments, transactions } = codecs();
    const encode = (txs: Transaction[]) => txs.map((tx) => ({ key: transactionKey(tx), value: transactions.encode(tx) }));
    super(kafka, producer, {
      name: 'decoder',
      groupId: pluginOptions.topics?.groupId ?? stageGroupId('decoder'),
      inputTopic: pluginOptions.topics?.input ?? Topics.segments,
      outputTopic: pluginOptions.topics?.output ?? Topics.transactions,
      decode: (value) => segments.decode(value),
      process: (batch): ProcessOutput | Promise<ProcessOutput> => {
        const plugin = plugins.route(batch);
        if (plugin === null) return encode(decoder.push(batch));
        return plugins.process(plugin, batch).then((r) => ({ records: encode(r.transactions), deadLetter: r.failure ?? undefined }));
      },
      tick: { intervalMs: 1000, run: async (nowNs) => encode([...decoder.flushIdle(nowNs), ...(await plugins.tick(nowNs))]) },
      flush: async () => encode([...decoder.flushAll(), ...(await plugins.flush())]),
    }, log);
    this.decoder = decoder;
    this.plugins = plugins;
    this.configLog = log.child('plugin-config');
  }

  /** Loads the flag plugins, then the Redis ones (without waiting long for Redis), then consumes. */
  override async start(): Promise<void> {
    const flags = this.pluginOptions.specs ?? [];
    await this.plugins.configure(flags);
    const url = this.pluginOptions.redisUrl ?? null;
    if (url !== null) {
      this.watcher = new PluginConfigWatcher({
        url,
        ...(this.pluginOptions.redisPeriodMs !== undefined ? { periodMs: this.pluginOptions.redisPeriodMs } : {}),
        onConfig: (redis, reload) => this.plugins.apply(flags, redis, reload),
      }, this.configLog);
      await this.watcher.start();
    }
    await super.start();
  }

  override async stop(): Promise<void> {
    await super.stop(); // flushes the plugins' flows too
    await this.watcher?.stop();
    await this.plugins.close();
  }

  pluginStats(): PluginHostStats & { redis: PluginConfigWatcherStats | null } {
    return { ...this.plugins.stats(), redis: this.watcher?.stats() ?? null };
  }

  /** What /metrics shows (io/metrics.ts). */
  metricsSnapshot(): DecoderMetricsSnapshot {
    return { stage: this.stats(), decoder: this.decoder.stats(), plugins: this.pluginStats() };
  }
}
