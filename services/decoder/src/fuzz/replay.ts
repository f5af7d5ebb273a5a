// Replays one fuzz case alone, to debug it: CLOVISOR_FUZZ_SEED=<seed> node replay.js <case>
// Prints each push's time and the decoder's counters; writes the case's batches as JSON
// (payloads in hex) when CLOVISOR_FUZZ_DUMP names a file.
import { writeFileSync } from 'node:fs';
import { FlowDecoder } from '../core/decoder.js';
import { FUZZ_HINTS, FUZZ_LIMITS, fuzzCases } from './cases.js';
import { loadCorpus } from './corpus.js';
import { Prng } from './prng.js';

const seed = Number(process.env['CLOVISOR_FUZZ_SEED'] ?? 0x5eed2026) >>> 0;
const wanted = Number(process.argv[2]);
if (!Number.isInteger(wanted) || wanted < 0) {
  process.stderr.write('usage: CLOVISOR_FUZZ_SEED=<seed> node replay.js <case index>\n');
  process.exit(2);
}
for (const c of fuzzCases(new Prng(seed), loadCorpus(), FUZZ_HINTS)) {
  if (c.index < wanted) continue;
  if (c.index > wanted) break;
  process.stdout.write(`case ${c.index}: hint ${c.hint}, ${c.kind}: ${c.ops}, from ${c.file}, ${c.batches.length} batches\n`);
  const decoder = new FlowDecoder(FUZZ_LIMITS);
  for (const batch of c.batches) {
    const start = process.hrtime.bigint();
    const txs = decoder.push(batch);
    const bytes = batch.segments.reduce((n, s) => n + s.payload.length, 0);
    process.stdout.write(`push ${batch.segments.length} segments, ${bytes} bytes: ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2)} ms, ${txs.length} transactions\n`);
  }
  decoder.flushAll();
  process.stdout.write(JSON.stringify(decoder.stats()) + '\n');
  const dump = process.env['CLOVISOR_FUZZ_DUMP'];
  if (dump) {
    // Buffer.toJSON runs before the replacer: its {type, data} form is turned into hex here.
    const hex = (v: unknown): unknown => {
      if (typeof v === 'bigint') return v.toString();
      const b = v as { type?: unknown; data?: unknown } | null;
      return b !== null && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data as number[]).toString('hex') : v;
    };
    writeFileSync(dump, JSON.stringify(c.batches, (_k, v: unknown) => hex(v), 1));
  }
}
