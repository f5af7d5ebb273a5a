import { Topics, createKafka, createLogger, ensureTopics, RecordProducer, useSchemaRegistry, type Codecs, type Component, type Logger } from '@clovisor/core';
import type { PartitionedCorrelatorOptions } from '@clovisor/correlator';
import { configEntries, resolveSettings } from '../topics/settings.js';
import { buildCapture, buildInt, chooseOtlpEndpoint, checkCaptureSources, followOtlpSuggestion } from './capture-component.js';
import { resolveRunConfig, type RunConfig, type RunFlags } from '../config.js';
import { parseFlags, UsageError } from '../flags.js';
import { waitForKafka } from '../kafka-wait.js';
import { endpointAccepts } from '../otlp-probe.js';
import { CORRELATOR_FLAG_OPTIONS, resolveCorrelatorFlags, type CorrelatorFlags } from '../correlator-flags.js';
import { INT_FLAG_OPTIONS, resolveIntFlags, type IntExportConfig, type IntFlags } from '../int-flags.js';
import { SELF_TRACE_FLAG_OPTIONS, resolveSelfTrace, type SelfTraceConfig, type SelfTraceFlags } from '../self-trace/config.js';
import { ownTargets } from '../self-capture/conflicts.js';
import { refuseSelfCapture } from '../self-capture/guard.js';
import { metricsEndpoint, metricsPortFor } from '../stage-metrics.js';

export type StageName = 'capture' | 'decode' | 'correlate' | 'export';

export const FLAG_OPTIONS = {
  interface: { type: 'string', multiple: true },
  port: { type: 'string', multiple: true },
  brokers: { type: 'string' },
  redis: { type: 'string' },
  'otlp-endpoint': { type: 'string' },
  'otlp-protocol': { type: 'string' },
  node: { type: 'string' },
  snaplen: { type: 'string' },
  'metrics-port': { type: 'string' },
  partitions: { type: 'string' },
  plugin: { type: 'string', multiple: true },
  'legacy-tags': { type: 'boolean' },
  'node-interface': { type: 'string', multiple: true },
  'flow-table-size': { type: 'string' },
  'flow-idle-timeout': { type: 'string' },
  'ring-size': { type: 'string' },
  'schema-registry': { type: 'string' },
  kubernetes: { type: 'boolean' },
  kubeconfig: { type: 'string' },
  int: { type: 'boolean' },
  'int-watchlist': { type: 'string' },
  'int-report-interval-ms': { type: 'string' },
  'int-latency-bucket-shift': { type: 'string' },
  'topology-port': { type: 'string' },
  'node-address': { type: 'string' },
  ...CORRELATOR_FLAG_OPTIONS,
  ...SELF_TRACE_FLAG_OPTIONS,
  ...INT_FLAG_OPTIONS,
} as const;

/** The topics these stages write, with their record type: registered in the schema registry. */
function writtenTopics(stages: StageName[], int: boolean): Array<{ topic: string; codec: keyof Codecs }> {
  const out: Array<{ topic: string; codec: keyof Codecs }> = [];
  if (stages.includes('capture')) out.push({ topic: Topics.segments, codec: 'segments' });
  if (stages.includes('capture') && int) out.push({ topic: Topics.int, codec: 'int' });
  if (stages.includes('decode')) out.push({ topic: Topics.transactions, codec: 'transactions' });
  if (stages.includes('correlate')) out.push({ topic: Topics.spans, codec: 'spans' });
  if (stages.some((s) => s !== 'capture')) out.push({ topic: Topics.deadletter, codec: 'deadletter' });
  return out;
}

/**
 * Every setting of a stage command from its parsed flags and the environment, refusing what does
 * not fit these stages (pure; deploy-manifests.test.ts runs the Kubernetes manifests through it).
 */
export function resolveStageSettings(command: string, stages: StageName[], flags: RunFlags & CorrelatorFlags & IntFlags & { _: string[] }, env: NodeJS.ProcessEnv) {
  if (flags._.length > 0) throw new UsageError(command, `unexpected argument "${flags._[0]}"`);
  const resolved = resolveRunConfig(flags, env);
  const config = { ...resolved, metricsPort: metricsPortFor(stages, flags['metrics-port'] ?? env['CLOVISOR_METRICS_PORT'], resolved.metricsPort) };
  const correlatorOptions = resolveCorrelatorFlags(flags, env);
  // INT reports are the exporter's: other stages refuse the flags (and ignore the environment)
  const intExport = stages.includes('export') ? resolveIntFlags(flags, env) : null;
  const intFlag = Object.keys(INT_FLAG_OPTIONS).find((f) => f in flags && !stages.includes('export'));
  if (intFlag) throw new UsageError(command, `--${intFlag} is for clovisor export and clovisor run`);
  if (stages.includes('capture')) {
    const problem = checkCaptureSources(config);
    if (problem) throw new UsageError(command, problem);
  } else if (config.int) {
    throw new UsageError(command, '--int is a capture setting: use it with `clovisor capture` or `clovisor run`');
  }
  return { config, correlatorOptions, intExport };
}

/** Runs the given stages in this process until SIGINT/SIGTERM, then stops them upstream first. */
export async function stagesCommand(command: string, stages: StageName[], args: string[]): Promise<number> {
  const flags = parseFlags<RunFlags & CorrelatorFlags & SelfTraceFlags & IntFlags & { _: string[] }>(command, args, FLAG_OPTIONS);
  if (flags === 'help') return 0;
  const { config, correlatorOptions, intExport } = resolveStageSettings(command, stages, flags, process.env);
  const log = createLogger(`clovisor-${command}`);
  const selfTraceConfig = resolveSelfTrace(command, flags, process.env);
  // before any Kafka client exists: the instrumentation wraps the clients created after it
  const selfTrace = selfTraceConfig && (await import('../self-trace/sdk.js')).startSelfTrace(selfTraceConfig);
  if (selfTraceConfig) log.info('self-tracing on', { endpoint: selfTraceConfig.endpoint, service: selfTraceConfig.serviceName });
  const stopping = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn(`second ${signal}: exiting now without flushing`);
      process.exit(130);
    }
    log.info(`${signal}: stopping (flush, commit, detach)`);
    stopping.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const { components, otlpEndpoint } = await startStages(config, stages, log, stopping.signal, selfTraceConfig, correlatorOptions, intExport);
    if (!stopping.signal.aborted) {
      log.info('running', { stages: stages.join(','), brokers: config.brokers.join(','), ...(stages.includes('export') ? { otlp: otlpEndpoint } : {}) });
      await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    // Upstream first, so each stage flushes into a downstream one that is still running.
    for (const component of components) {
      await component.stop().catch((err: unknown) => log.error(`stopping ${component.name} failed`, { error: String(err) }));
    }
  } finally {
    await selfTrace?.shutdown().catch((err: unknown) => log.warn('self-trace flush failed', { error: String(err) }));
  }
  log.info('stopped');
  return 0;
}

async function startStages(
  config: RunConfig, stages: StageName[], log: Logger, signal: AbortSignal, selfTrace: SelfTraceConfig | null, correlatorOptions: PartitionedCorrelatorOptions,
  intExport: IntExportConfig | null,
): Promise<{ components: Component[]; otlpEndpoint: string }> {
  const kafka = createKafka(config.brokers, 'clovisor', log);
  const producer = new RecordProducer(kafka, log.child('producer'));
  const started: Component[] = [];
  // Each stage's code is loaded only when it runs: a capture agent holding the decoder, the
  // exporter's OTLP clients and the Kubernetes client it does not use costs ~100 MB of RSS.
  const { DecoderStage, decoderMetrics } = stages.includes('decode') ? await import('@clovisor/decoder') : { DecoderStage: null, decoderMetrics: null };
  const { CorrelatorStage, correlatorMetrics } = stages.includes('correlate') ? await import('@clovisor/correlator') : { CorrelatorStage: null, correlatorMetrics: null };
  const { ExporterStage, IntExportStage, exporterMetrics, intExporterMetrics } = stages.includes('export')
    ? await import('@clovisor/exporter') : { ExporterStage: null, IntExportStage: null, exporterMetrics: null, intExporterMetrics: null };
  // Capture checks its interfaces and BPF before waiting on Kafka: a typo should fail at once.
  if (stages.includes('capture')) {
    const own = ownTargets({ ...config, otlpEndpoint: stages.includes('export') ? config.otlpEndpoint : null, selfTraceEndpoint: selfTrace?.endpoint ?? null });
    await refuseSelfCapture(own, config.interfaces.map((i) => i.name), config.ports.map((p) => p.port));
  }
  // one endpoint for every stage of the process; stopped last, after the stages' final flush
  const metrics = await metricsEndpoint(config.metricsPort, log.child('metrics'));
  const capture = stages.includes('capture') ? await buildCapture(producer, { ...config, metrics }, log.child('capture')) : null;
  if (capture) await capture.prepare();
  const int = capture && config.int ? await buildInt(producer, capture, config.node, config.int, log.child('int')) : null;
  if (int) await int.prepare().catch(async (err: unknown) => {
    await capture?.stop();
    throw err;
  });
  // listening before the wait on Kafka: a port in use fails at once (after capture's own checks)
  if (metrics) await metrics.start().catch(async (err: unknown) => {
    await int?.stop();
    await capture?.stop();
    throw err;
  });
  if (stages.includes('export')) config = { ...config, otlpEndpoint: chooseOtlpEndpoint(config, capture, log) };
  try {
    await waitForKafka(config.brokers, log, signal);
    if (signal.aborted) {
      await capture?.stop();
      await int?.stop();
      await metrics?.stop();
      return { components: [], otlpEndpoint: config.otlpEndpoint };
    }
    // missing topics get the same per-topic retention and compression as `clovisor topics create`
    const settings = resolveSettings({ topic: [Topics.segments, ...(int || intExport ? [Topics.int] : []), Topics.transactions, Topics.spans, Topics.deadletter] }, config.partitions);
    await ensureTopics(kafka, settings.map((s) => ({ topic: s.topic, numPartitions: s.partitions, configs: Object.fromEntries(configEntries(s).map((e) => [e.name, e.value])) })));
    if (config.schemaRegistry !== null) await useSchemaRegistry(config.schemaRegistry, writtenTopics(stages, int !== null));
    await producer.start();
    const ordered: Component[] = [];
    if (capture) ordered.push(capture);
    if (int) ordered.push(int);
    if (DecoderStage) {
      const decoder = new DecoderStage(kafka, producer, log.child('decoder'), {}, { specs: config.plugins, redisUrl: config.redisUrl });
      metrics?.add('clovisor_decoder', decoderMetrics(() => decoder.metricsSnapshot()));
      ordered.push(decoder);
    }
    if (CorrelatorStage) {
      const correlator = new CorrelatorStage(kafka, producer, log.child('correlator'), { ...correlatorOptions, legacyTags: config.legacyTags });
      metrics?.add('clovisor_correlator', correlatorMetrics(() => correlator.stats()));
      ordered.push(correlator);
    }
    if (stages.includes('export') && !(await endpointAccepts(config.otlpEndpoint))) {
      log.warn(`OTLP endpoint ${config.otlpEndpoint} is not reachable: spans wait in Kafka and are exported once it answers (start Jaeger with \`clovisor stack up\` or pass --otlp-endpoint)`);
    }
    if (ExporterStage) {
      const exporter = new ExporterStage(kafka, producer, { protocol: config.otlpProtocol, endpoint: config.otlpEndpoint }, log.child('exporter'));
      followOtlpSuggestion(config, capture, exporter, log);
      metrics?.add('clovisor_exporter', exporterMetrics(() => exporter.stats()));
      ordered.push(exporter);
    }
    if (IntExportStage && intExport) {
      const intExporter = new IntExportStage(kafka, producer, intExport, log.child('int-exporter'));
      metrics?.add('clovisor_exporter_int', intExporterMetrics(() => intExporter.stats()));
      ordered.push(intExporter);
    }
    for (const component of ordered) {
      await component.start();
      started.push(component);
    }
    started.push(producer);
    if (metrics) started.push(metrics);
    return { components: started, otlpEndpoint: config.otlpEndpoint };
  } catch (err) {
    if (capture) await capture.stop();
    if (int && !started.includes(int)) await int.stop();
    for (const component of started) await component.stop().catch(() => undefined);
    await metrics?.stop();
    throw err;
  }
}
