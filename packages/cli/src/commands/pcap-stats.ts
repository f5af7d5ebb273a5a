// The one stderr line `pcap decode` ends with: what was read, what was decoded, and every
// sign of trouble (gaps, invalid frames, resyncs, skipped packets…) as key=value pairs.
import type { DecoderStats, PcapReadStats } from '@clovisor/decoder';
import type { PluginTotals } from './pcap-decode.js';

// Always printed, in this order, so scripts can rely on them; other counters follow when non-zero.
const ALWAYS = [
  'packets', 'tcpSegments', 'flows', 'transactions', 'incompleteTransactions', 'gaps', 'gapBytes',
  'invalidFrames', 'resyncs', 'bytesSkipped', 'partialFrames', 'orphanResponses', 'flowsUndetected',
] as const;

// Input totals and state after flushAll(): not signs of anything.
const NOT_INTERESTING = new Set(['batches', 'segments', 'payloadBytes', 'flowsCreated', 'flowsClosed', 'flowsActive', 'bufferedBytes', 'flowsEvictedIdle']);

export function statsLine(file: string, read: PcapReadStats, decoder: DecoderStats, plugins: PluginTotals | null = null): string {
  const all: Record<string, number> = {};
  // The reader's and the decoder's counter names do not overlap.
  for (const [k, v] of [...Object.entries(read), ...Object.entries(decoder)]) if (typeof v === 'number') all[k] = v;
  const pairs = ALWAYS.map((k) => `${k}=${all[k] ?? 0}`);
  for (const [k, v] of Object.entries(all)) {
    if (v !== 0 && !(ALWAYS as readonly string[]).includes(k) && !NOT_INTERESTING.has(k)) pairs.push(`${k}=${v}`);
  }
  if (plugins !== null) pairs.push(`pluginTransactions=${plugins.transactions}`, `pluginFailedBatches=${plugins.failedBatches}`);
  return `clovisor pcap decode: ${file}: ${pairs.join(' ')}`;
}
