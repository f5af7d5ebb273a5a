// `clovisor pcap decode|import <file>`, `clovisor pcap export -o <file>`: capture files offline.
// decode runs the decoder's core on the file and prints transactions (no Kafka); import
// publishes the file's segments to Kafka as if `clovisor capture` had seen them live; export
// writes captured segments from Kafka back out as a pcapng.
import { Topics } from '@clovisor/core';
import { parsePluginSpec } from '@clovisor/decoder';
import { resolveRunConfig, type RunConfig, type RunFlags } from '../config.js';
import { parseFlags, UsageError } from '../flags.js';
import { HELP } from '../help.js';
import { importBatches } from './pcap-import.js';
import { exportPcap, parseFlowIds, parsePartitions } from './pcap-export.js';
import { decodeCapture } from './pcap-decode.js';
import { flatten, formatTable } from './pcap-output.js';
import { readCaptureSource } from './pcap-source.js';
import { statsLine } from './pcap-stats.js';

const COMMAND = 'pcap';

const DECODE_FLAGS = {
  format: { type: 'string' },
  port: { type: 'string', multiple: true },
  node: { type: 'string' },
  plugin: { type: 'string', multiple: true },
} as const;

const IMPORT_FLAGS = {
  port: { type: 'string', multiple: true },
  node: { type: 'string' },
  brokers: { type: 'string' },
  topic: { type: 'string' },
  partitions: { type: 'string' },
  'schema-registry': { type: 'string' },
} as const;

const EXPORT_FLAGS = {
  brokers: { type: 'string' },
  topic: { type: 'string' },
  flow: { type: 'string', multiple: true },
  start: { type: 'string' },
  end: { type: 'string' },
  partition: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  'schema-registry': { type: 'string' },
} as const;

type PcapFlags = RunFlags & { format?: string; topic?: string; _: string[] };
type ExportFlags = PcapFlags & { flow?: string[]; start?: string; end?: string; partition?: string[]; output?: string };

function oneFile(flags: PcapFlags, sub: string): string {
  const [file, extra] = flags._;
  if (file === undefined) throw new UsageError(COMMAND, `pcap ${sub}: give the capture file, e.g. clovisor pcap ${sub} traffic.pcap`);
  if (extra !== undefined) throw new UsageError(COMMAND, `pcap ${sub}: unexpected argument "${extra}" (one file at a time)`);
  return file;
}

export async function pcapCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(HELP[COMMAND] + '\n');
    return 0;
  }
  // `clovisor pcap decode … | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  if (sub === 'decode') return decode(rest);
  if (sub === 'import') return importFile(rest);
  if (sub === 'export') return exportFile(rest);
  throw new UsageError(COMMAND, sub === undefined ? 'give a subcommand: decode, import or export' : `unknown subcommand "${sub}": expected decode, import or export`);
}

async function decode(args: string[]): Promise<number> {
  const flags = parseFlags<PcapFlags>(COMMAND, args, DECODE_FLAGS);
  if (flags === 'help') return 0;
  const format = flags.format ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'table') throw new UsageError(COMMAND, `--format "${format}": expected ndjson or table`);
  const file = oneFile(flags, 'decode');
  const { config, pluginPorts } = resolveWithPluginPorts(flags);
  const source = await readCaptureSource(file, [...config.ports, ...pluginPorts], config.node);

  const { transactions, stats, plugins } = await decodeCapture(source.batches, config.plugins);
  const lines = format === 'table' ? formatTable(transactions) : transactions.map((tx) => JSON.stringify(flatten(tx)));
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
  process.stderr.write(statsLine(file, source.stats, stats, plugins) + '\n');
  return 0;
}

/**
 * `--port 11299=memcached` names a --plugin's protocol, which the live port rules (a fixed
 * list the kernel map encodes) do not know: such rules only set the flows' hint, by which the
 * plugin host routes them, and the rest go through the usual validation.
 */
function resolveWithPluginPorts(flags: PcapFlags): { config: RunConfig; pluginPorts: { port: number; protocol: string }[] } {
  const specs = (flags.plugin?.length ? flags.plugin : (process.env['CLOVISOR_PLUGINS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)).map(parsePluginSpec);
  const names = new Set(specs.map((s) => s.protocol));
  const pluginPorts: { port: number; protocol: string }[] = [];
  const ports: string[] = [];
  for (const value of flags.port ?? []) {
    const m = /^(\d{1,5})=([A-Za-z0-9_.-]+)$/.exec(value.trim());
    const port = Number(m?.[1]);
    if (m && names.has(m[2]!.toLowerCase()) && port >= 1 && port <= 65535) pluginPorts.push({ port, protocol: m[2]!.toLowerCase() });
    else ports.push(value);
  }
  const config = resolveRunConfig({ ...flags, port: ports }, process.env);
  // Only plugin rules given: CLOVISOR_PORTS does not apply either (flags win over the environment).
  if (ports.length === 0 && pluginPorts.length > 0) config.ports = [];
  return { config, pluginPorts };
}

function topicFlag(flags: PcapFlags): string {
  const topic = flags.topic ?? Topics.segments;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new UsageError(COMMAND, `--topic "${topic}": a Kafka topic name is 1-249 of A-Z a-z 0-9 . _ -`);
  return topic;
}

async function exportFile(args: string[]): Promise<number> {
  const flags = parseFlags<ExportFlags>(COMMAND, args, EXPORT_FLAGS);
  if (flags === 'help') return 0;
  if (flags.output === undefined) throw new UsageError(COMMAND, 'pcap export: give the output file, e.g. -o incident.pcapng');
  if (flags._.length > 0) throw new UsageError(COMMAND, `pcap export: unexpected argument "${flags._[0]}" (the output file goes after -o)`);
  const topic = topicFlag(flags);
  const config = resolveRunConfig(flags, process.env);
  const s = await exportPcap({
    brokers: config.brokers, topic, output: flags.output, flows: parseFlowIds(flags.flow), partitions: parsePartitions(flags.partition),
    start: flags.start ?? null, end: flags.end ?? null, schemaRegistry: config.schemaRegistry,
  });
  process.stdout.write(
    `wrote ${s.packets} packets (${s.flows} flows, ${s.interfaces} interfaces, ${s.truncatedPackets} cut by the snaplen, ${s.payloadBytes} payload bytes) ` +
    `from ${s.records} records of ${topic} to ${flags.output}` +
    (s.filteredSegments > 0 ? `; ${s.filteredSegments} segments outside --flow/--start/--end` : '') +
    (s.undecodable > 0 ? `; ${s.undecodable} undecodable records skipped` : '') +
    (s.unrepresentable > 0 ? `; ${s.unrepresentable} segments without IP addresses skipped` : '') +
    (s.outOfOrder > 0 ? `; ${s.outOfOrder} packets out of time order` : '') + '\n',
  );
  return 0;
}

async function importFile(args: string[]): Promise<number> {
  const flags = parseFlags<PcapFlags>(COMMAND, args, IMPORT_FLAGS);
  if (flags === 'help') return 0;
  const file = oneFile(flags, 'import');
  const topic = topicFlag(flags);
  const config = resolveRunConfig(flags, process.env);
  const source = await readCaptureSource(file, config.ports, config.node);
  const s = await importBatches(source.batches, config.brokers, topic, config.partitions, config.schemaRegistry);
  process.stdout.write(`published ${s.batches} batches (${s.segments} segments, ${s.flows} flows, ${s.bytes} bytes) from ${file} to ${topic} at ${config.brokers.join(',')} as node ${config.node}\n`);
  return 0;
}
