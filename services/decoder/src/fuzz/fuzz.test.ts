// Fuzzing FlowDecoder: 100,000 SegmentBatch inputs (CLOVISOR_FUZZ_INPUTS), half pure noise and
// half real fixture flows damaged (bit flips, truncations, splices, corrupted length fields,
// duplicated / reordered / dropped segments, broken sequence numbers and flags), each under
// every protocol hint of the registry and under none. Nothing may throw, no push() may take
// more than 200 ms (re-timed alone when a busy machine stretched it), the decoder must stay within its flow and byte budgets, every transaction
// it emits must still encode to Avro, and its counters must show the garbage it was fed.
//
// Deterministic: CLOVISOR_FUZZ_SEED (printed) replays a run exactly; a failure names the case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs, type Transaction } from '@clovisor/core';
import { FlowDecoder } from '../core/decoder.js';
import type { DecoderStats } from '../core/stats.js';
import { loadCorpus } from './corpus.js';
import { FUZZ_HINTS as HINTS, FUZZ_LIMITS as LIMITS, fuzzCases, type FuzzCase } from './cases.js';
import { Prng } from './prng.js';

const SEED = Number(process.env['CLOVISOR_FUZZ_SEED'] ?? 0x5eed2026) >>> 0;
const INPUTS = Number(process.env['CLOVISOR_FUZZ_INPUTS'] ?? 100_000);
const MAX_PUSH_MS = 200;

/** Counters that can only grow when the decoder met bytes it could not use. */
function garbage(s: DecoderStats): number {
  return s.invalidFrames + s.resyncs + s.bytesSkipped + s.flowsUndetected;
}

test(`fuzz: ${INPUTS} garbage and damaged batches through FlowDecoder with every protocol hint`, (t) => {
  t.diagnostic(`seed ${SEED} (replay: CLOVISOR_FUZZ_SEED=${SEED})`);
  const rng = new Prng(SEED);
  const corpus = loadCorpus();
  assert.ok(corpus.length >= 10, `corpus flows: ${corpus.length}`);
  const txCodec = codecs().transactions;
  const decoder = new FlowDecoder(LIMITS);

  const fed = { batches: 0, segments: 0, payloadBytes: 0, transactions: 0 };
  const garbageBy = new Map<string, number>(); // `${hint}|${kind}` → counter growth
  let maxPushMs = 0;
  // Pushes over the bound, re-timed alone at the end: on a busy machine a GC pause or a stolen
  // core can stretch one push; an input that is slow to decode is slow every time.
  const slow: { c: FuzzCase; label: string; ms: number }[] = [];
  let caseLabel = '';
  const check = (txs: Transaction[]): void => {
    fed.transactions += txs.length;
    for (const tx of txs) {
      try {
        txCodec.encode(tx);
      } catch (err) {
        assert.fail(`${caseLabel}: transaction ${tx.id} does not encode to Avro: ${(err as Error).message}`);
      }
    }
  };

  const began = process.hrtime.bigint();
  for (const c of fuzzCases(rng, corpus, HINTS)) {
    if (fed.batches >= INPUTS) break;
    const { index: i, hint, kind } = c;
    caseLabel = `seed ${SEED} case ${i} (hint ${hint}, ${kind}: ${c.ops}, from ${c.file}; replay: CLOVISOR_FUZZ_SEED=${SEED} node services/decoder/dist/fuzz/replay.js ${i})`;
    const before = garbage(decoder.stats());
    for (const batch of c.batches) {
      fed.batches++;
      fed.segments += batch.segments.length;
      for (const s of batch.segments) fed.payloadBytes += s.payload.length;
      const start = process.hrtime.bigint();
      let txs: Transaction[];
      try {
        txs = decoder.push(batch);
      } catch (err) {
        assert.fail(`${caseLabel}: push threw: ${(err as Error).stack ?? String(err)}`);
      }
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (ms > maxPushMs) maxPushMs = ms;
      if (ms > MAX_PUSH_MS && !slow.some((x) => x.c === c)) slow.push({ c, label: caseLabel, ms });
      const s = decoder.stats();
      assert.ok(s.flowsActive <= LIMITS.maxFlows, `${caseLabel}: ${s.flowsActive} flows tracked`);
      assert.ok(s.bufferedBytes <= LIMITS.maxBufferedBytes, `${caseLabel}: ${s.bufferedBytes} bytes buffered`);
      check(txs);
    }
    const key = `${hint}|${kind}`;
    garbageBy.set(key, (garbageBy.get(key) ?? 0) + garbage(decoder.stats()) - before);
    if (i % 10 === 9) {
      caseLabel = `seed ${SEED} flushIdle after case ${i}`;
      check(decoder.flushIdle(c.nowNs));
    }
  }
  caseLabel = `seed ${SEED} flushAll`;
  check(decoder.flushAll());
  const elapsedMs = Number(process.hrtime.bigint() - began) / 1e6;

  const s = decoder.stats();
  t.diagnostic(`${fed.batches} batches, ${fed.segments} segments, ${fed.payloadBytes} bytes, ${fed.transactions} transactions in ${elapsedMs.toFixed(0)} ms; slowest push ${maxPushMs.toFixed(2)} ms`);
  t.diagnostic(`invalidFrames=${s.invalidFrames} resyncs=${s.resyncs} bytesSkipped=${s.bytesSkipped} flowsUndetected=${s.flowsUndetected} gaps=${s.gaps} evicted=${s.flowsEvicted} (lru ${s.flowsEvictedLru}, memory ${s.flowsEvictedMemory}, idle ${s.flowsEvictedIdle})`);

  // Nothing held after flushAll, and every input accounted for.
  assert.equal(s.flowsActive, 0);
  assert.equal(s.bufferedBytes, 0);
  assert.equal(s.batches, fed.batches);
  assert.equal(s.segments, fed.segments);
  assert.equal(s.payloadBytes, fed.payloadBytes);
  assert.equal(s.transactions, fed.transactions, 'every counted transaction was returned');
  // The small budgets were hit: eviction by count, by bytes and by idle time all ran.
  assert.ok(s.flowsEvictedLru > 0 && s.flowsEvictedMemory > 0 && s.flowsEvictedIdle > 0, `evictions lru ${s.flowsEvictedLru} memory ${s.flowsEvictedMemory} idle ${s.flowsEvictedIdle}`);
  // Under every hint (and none), noise shows up in the counters.
  for (const hint of HINTS) {
    const grown = garbageBy.get(`${hint}|noise`) ?? 0;
    assert.ok(grown > 0, `hint ${hint}: noise left invalidFrames/resyncs/bytesSkipped/flowsUndetected unchanged`);
  }
  assert.ok(HINTS.some((h) => (garbageBy.get(`${h}|damaged`) ?? 0) > 0), 'damaged flows show in the counters');
  // Last, so a slow input does not hide the other findings.
  for (const { c, label, ms } of slow) {
    const best = Math.min(...[0, 1, 2].map(() => {
      const alone = new FlowDecoder(LIMITS);
      let worst = 0;
      for (const batch of c.batches) {
        const start = process.hrtime.bigint();
        alone.push(batch);
        worst = Math.max(worst, Number(process.hrtime.bigint() - start) / 1e6);
      }
      return worst;
    }));
    t.diagnostic(`slow push ${ms.toFixed(1)} ms, alone ${best.toFixed(1)} ms: ${label}`);
    assert.ok(best <= MAX_PUSH_MS, `${label}: push took ${ms.toFixed(1)} ms, and ${best.toFixed(1)} ms alone (bound ${MAX_PUSH_MS} ms)`);
  }

});
