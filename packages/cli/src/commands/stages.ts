import { Topics, createKafka, createLogger, ensureTopics, RecordProducer, type Component, type Logger } from '@clovisor/core';
import { resolveRunConfig, type RunConfig, type RunFlags } from '../config.js';
import { parseFlags, UsageError } from '../flags.js';
import { waitForKafka } from '../kafka-wait.js';
import { endpointAccepts } from '../otlp-probe.js';

export type StageName = 'capture' | 'decode' | 'correlate' | 'export';

const FLAG_OPTIONS = {
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
} as const;

/** Runs the given stages in this process until SIGINT/SIGTERM, then stops them upstream first. */
export async function stagesCommand(command: string, stages: StageName[], args: string[]): Promise<number> {
  const flags = parseFlags<RunFlags & { _: string[] }>(command, args, FLAG_OPTIONS);
  if (flags === 'help') return 0;
  if (flags._.length > 0) throw new UsageError(command, `unexpected argument "${flags._[0]}"`);
  const config = resolveRunConfig(flags, process.env);
  if (stages.includes('capture')) {
    if (config.interfaces.length === 0) throw new UsageError(command, 'give at least one --interface <ifname>[=<service>]');
    if (config.ports.length === 0) throw new UsageError(command, 'give at least one --port <port>=<protocol>');
  }
  const log = createLogger(`clovisor-${command}`);
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

  const components = await startStages(config, stages, log, stopping.signal);
  if (!stopping.signal.aborted) {
    log.info('running', { stages: stages.join(','), brokers: config.brokers.join(','), ...(stages.includes('export') ? { otlp: config.otlpEndpoint } : {}) });
    await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  // Upstream first, so each stage flushes into a downstream one that is still running.
  for (const component of components) {
    await component.stop().catch((err: unknown) => log.error(`stopping ${component.name} failed`, { error: String(err) }));
  }
  log.info('stopped');
  return 0;
}

async function startStages(config: RunConfig, stages: StageName[], log: Logger, signal: AbortSignal): Promise<Component[]> {
  const kafka = createKafka(config.brokers, 'clovisor', log);
  const producer = new RecordProducer(kafka, log.child('producer'));
  const started: Component[] = [];
  // Each stage's code is loaded only when it runs: a capture agent holding the decoder, the
  // exporter's OTLP clients and the Kubernetes client it does not use costs ~100 MB of RSS.
  const { CaptureStage } = stages.includes('capture') ? await import('@clovisor/capture/stage') : { CaptureStage: null };
  const { DecoderStage } = stages.includes('decode') ? await import('@clovisor/decoder') : { DecoderStage: null };
  const { CorrelatorStage } = stages.includes('correlate') ? await import('@clovisor/correlator') : { CorrelatorStage: null };
  const { ExporterStage } = stages.includes('export') ? await import('@clovisor/exporter') : { ExporterStage: null };
  // Capture checks its interfaces and BPF before waiting on Kafka: a typo should fail at once.
  const capture = CaptureStage ? new CaptureStage(producer, config, log.child('capture')) : null;
  if (capture) await capture.prepare();
  try {
    await waitForKafka(config.brokers, log, signal);
    if (signal.aborted) {
      await capture?.stop();
      return [];
    }
    await ensureTopics(kafka, [Topics.segments, Topics.transactions, Topics.spans, Topics.deadletter].map((topic) => ({ topic, numPartitions: config.partitions })));
    await producer.start();
    const ordered: Component[] = [];
    if (capture) ordered.push(capture);
    if (DecoderStage) ordered.push(new DecoderStage(kafka, producer, log.child('decoder'), {}, { specs: config.plugins, redisUrl: config.redisUrl }));
    if (CorrelatorStage) ordered.push(new CorrelatorStage(kafka, producer, log.child('correlator'), { legacyTags: config.legacyTags }));
    if (stages.includes('export') && !(await endpointAccepts(config.otlpEndpoint))) {
      log.warn(`OTLP endpoint ${config.otlpEndpoint} is not reachable: spans wait in Kafka and are exported once it answers (start Jaeger with \`clovisor stack up\` or pass --otlp-endpoint)`);
    }
    if (ExporterStage) ordered.push(new ExporterStage(kafka, producer, { protocol: config.otlpProtocol, endpoint: config.otlpEndpoint }, log.child('exporter')));
    for (const component of ordered) {
      await component.start();
      started.push(component);
    }
    started.push(producer);
    return started;
  } catch (err) {
    if (capture) await capture.stop();
    for (const component of started) await component.stop().catch(() => undefined);
    throw err;
  }
}
