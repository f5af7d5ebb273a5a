// `clovisor replay`: re-decode a range of captured segments with today's decoder and
// correlator, into topics of its own (<topic>.replay-<id>) or straight to an OTLP endpoint.
import { Topics, UnavailableError, type Logger } from '@clovisor/core';
import { resolveRunConfig, type RunFlags } from '../config.js';
import { parseFlags, UsageError } from '../flags.js';
import { endpointAccepts } from '../otlp-probe.js';
import { formatSeconds } from '../replay/progress.js';
import { checkOrder, parseBound } from '../replay/range.js';
import { runReplay, type ReplayResult } from '../replay/run.js';

const COMMAND = 'replay';

const FLAGS = {
  from: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  partition: { type: 'string', multiple: true },
  id: { type: 'string' },
  plugin: { type: 'string', multiple: true },
  brokers: { type: 'string' },
  'otlp-endpoint': { type: 'string' },
  'otlp-protocol': { type: 'string' },
  'legacy-tags': { type: 'boolean' },
} as const;

type ReplayFlags = RunFlags & { from?: string; start?: string; end?: string; partition?: string[]; id?: string; _: string[] };

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A replay id when none is given: the UTC time it started, e.g. 20261123T134501Z. */
function defaultId(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function replayCommand(args: string[], log?: Logger): Promise<number> {
  const flags = parseFlags<ReplayFlags>(COMMAND, args, FLAGS);
  if (flags === 'help') return 0;
  if (flags._.length > 0) throw new UsageError(COMMAND, `unexpected argument "${flags._[0]}"`);
  const from = flags.from ?? Topics.segments;
  if (!TOPIC.test(from)) throw new UsageError(COMMAND, `--from "${from}": a Kafka topic name is 1-249 of A-Z a-z 0-9 . _ -`);
  const id = flags.id ?? defaultId();
  if (!ID.test(id)) throw new UsageError(COMMAND, `--id "${id}": use 1-64 of A-Z a-z 0-9 _ -`);
  const start = flags.start === undefined ? null : parseBound('--start', flags.start);
  const end = flags.end === undefined ? null : parseBound('--end', flags.end);
  checkOrder(start, end);
  const config = resolveRunConfig({ brokers: flags.brokers, plugin: flags.plugin, 'otlp-endpoint': flags['otlp-endpoint'], 'otlp-protocol': flags['otlp-protocol'], 'legacy-tags': flags['legacy-tags'] }, process.env);
  if (flags['otlp-protocol'] !== undefined && flags['otlp-endpoint'] === undefined) throw new UsageError(COMMAND, '--otlp-protocol goes with --otlp-endpoint');
  const otlp = flags['otlp-endpoint'] === undefined ? null : { protocol: config.otlpProtocol, endpoint: config.otlpEndpoint };
  // before reading anything: a replay that cannot deliver its spans should say so at once
  if (otlp !== null && !(await endpointAccepts(otlp.endpoint))) {
    throw new UnavailableError('OTLP_UNREACHABLE', `--otlp-endpoint ${otlp.endpoint}: nothing accepts connections there (start Jaeger with \`clovisor stack up\`)`);
  }

  const stopping = new AbortController();
  const onSignal = (): void => {
    if (stopping.signal.aborted) process.exit(130);
    stopping.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runReplay({
      brokers: config.brokers, from, start, end, partitions: flags.partition ?? [], id, plugins: config.plugins,
      legacyTags: config.legacyTags, otlp, progress: process.stderr, signal: stopping.signal, ...(log ? { log } : {}),
    });
    process.stdout.write(summary(result) + '\n');
    return result.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function summary(r: ReplayResult): string {
  const c = r.counts;
  const seconds = r.durationMs / 1000;
  const rate = seconds > 0 ? c.records / seconds : 0;
  const captured = Number(c.lastSegmentNs - c.firstSegmentNs) / 1e9;
  const ranges = r.ranges.map((p) => `${p.partition}:${p.start}-${p.end}`).join(' ');
  const spansTo = r.otlpTarget ?? r.topics.spans;
  const lines = [
    `replay ${r.id}${r.interrupted ? ' (interrupted)' : ''}: ${c.records} records (${c.segments} segments) of ${r.from} [partition:offsets ${ranges || 'none'}]`,
    `  ${c.transactions} transactions${r.otlpTarget === null ? ` -> ${r.topics.transactions}` : ' (not written)'}`,
    `  ${c.spans} spans -> ${spansTo}`,
    `  ${c.deadLetters} dead letters -> ${r.topics.deadletter}`,
    `  ${formatSeconds(seconds)}, ${Math.round(rate)} records/s; captured over ${formatSeconds(captured)}${captured > 0 && seconds > 0 ? `: ${(captured / seconds).toFixed(1)}x faster than capture` : ''}`,
  ];
  if (c.records > 0 && c.deadLetters >= c.records && c.segments === 0) {
    lines.push(`  no record decoded as captured segments: is ${r.from} a segments topic (clovisor.segments.v1)?`);
  }
  return lines.join('\n');
}
