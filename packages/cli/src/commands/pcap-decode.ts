// The decode stage's core run over a whole capture: every batch through one FlowDecoder (or the
// --plugin that claims its flow, exactly as DecoderStage routes), then flushAll() — the file is
// in memory already, so flows end with the file, not by idle time.
import { ConfigError, createLogger, type SegmentBatch, type Transaction } from '@clovisor/core';
import { FlowDecoder, PluginHost, type DecoderStats, type PluginSpec } from '@clovisor/decoder';
import { byStart } from './pcap-output.js';

export interface PluginTotals {
  loaded: number;
  transactions: number;
  /** batches a plugin failed on (dead-lettered in the live pipeline) */
  failedBatches: number;
}

export interface CaptureDecode {
  transactions: Transaction[];
  stats: DecoderStats;
  plugins: PluginTotals | null;
}

/** Built-in protocols only: no worker threads, synchronous. */
export function decodeCaptureBatches(batches: readonly SegmentBatch[]): CaptureDecode {
  const decoder = new FlowDecoder();
  const transactions: Transaction[] = [];
  for (const batch of batches) for (const tx of decoder.push(batch)) transactions.push(tx);
  for (const tx of decoder.flushAll()) transactions.push(tx);
  transactions.sort(byStart);
  return { transactions, stats: decoder.stats(), plugins: null };
}

/** Loads the plugins first; one that does not load is a configuration error, in one line. */
async function startPlugins(specs: readonly PluginSpec[]): Promise<PluginHost> {
  // The host logs why a module failed; that reason goes into our one-line error instead.
  const held: string[] = [];
  let write = (line: string): void => { held.push(line); };
  const host = new PluginHost(createLogger('clovisor-pcap', (line) => write(line)).child('plugins'));
  await host.configure([...specs]);
  const loaded = new Set(host.stats().plugins.map((p) => p.protocol));
  const missing = specs.find((s) => !loaded.has(s.protocol));
  if (missing !== undefined) {
    await host.close();
    const why = held.map((l) => l.replace(/^\S+ \S+\s+\S+: /, '')).join('; ');
    throw new ConfigError(`--plugin ${missing.protocol}=${missing.path}: cannot be loaded${why ? `: ${why}` : ''} (see docs/plugins.md)`);
  }
  // From here on only warnings and errors (a plugin failing on a batch); stderr stays the stats line.
  write = (line) => { if (/^\S+ (WARN|ERROR) /.test(line)) process.stderr.write(line + '\n'); };
  for (const line of held) write(line);
  return host;
}

export async function decodeCapture(batches: readonly SegmentBatch[], plugins: readonly PluginSpec[]): Promise<CaptureDecode> {
  if (plugins.length === 0) return decodeCaptureBatches(batches);
  const host = await startPlugins(plugins);
  try {
    const decoder = new FlowDecoder();
    const transactions: Transaction[] = [];
    for (const batch of batches) {
      const plugin = host.route(batch);
      const txs = plugin === null ? decoder.push(batch) : (await host.process(plugin, batch)).transactions;
      for (const tx of txs) transactions.push(tx);
    }
    for (const tx of decoder.flushAll()) transactions.push(tx);
    for (const tx of await host.flush()) transactions.push(tx);
    transactions.sort(byStart);
    const s = host.stats();
    return { transactions, stats: decoder.stats(), plugins: { loaded: s.loaded, transactions: s.transactions, failedBatches: s.deadLettered } };
  } finally {
    await host.close();
  }
}
