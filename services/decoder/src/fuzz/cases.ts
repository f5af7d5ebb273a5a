// The fuzz inputs as a deterministic stream of cases (one flow each, cut into batches), so the
// test and a replay of one failing case draw exactly the same bytes from the same seed.
import type { Segment, SegmentBatch } from '@clovisor/core';
import type { CorpusFlow } from './corpus.js';
import { mutateFlow, randomSegments } from './mutate.js';
import type { Prng } from './prng.js';
import { PROTOCOLS } from '../protocols/registry.js';

/** Every protocol hint of the registry, and none (detection). */
export const FUZZ_HINTS: readonly (string | null)[] = [...Object.keys(PROTOCOLS), null];
/** Small budgets, so eviction by count and by bytes is exercised all the time. */
export const FUZZ_LIMITS = { maxFlows: 16, maxBufferedBytes: 128 * 1024, idleTimeoutNs: 20_000_000n };

export interface FuzzCase {
  index: number;
  hint: string | null;
  kind: 'noise' | 'damaged';
  /** the mutations applied, or 'noise' */
  ops: string;
  file: string;
  nowNs: bigint;
  batches: SegmentBatch[];
}

/** 1-4 consecutive batches of one flow, as the capture agent would cut them. */
function cutIntoBatches(rng: Prng, meta: SegmentBatch, segments: Segment[]): SegmentBatch[] {
  const parts = Math.min(segments.length, 1 + rng.int(4));
  const out: SegmentBatch[] = [];
  let from = 0;
  for (let p = 0; p < parts; p++) {
    const to = p === parts - 1 ? segments.length : from + 1 + rng.int(segments.length - from - (parts - p - 1));
    out.push({ ...meta, segments: segments.slice(from, to), lostEventsBefore: rng.chance(0.05) ? 1 + rng.int(5) : 0 });
    from = to;
  }
  return out;
}

export function* fuzzCases(rng: Prng, corpus: readonly CorpusFlow[], hints: readonly (string | null)[]): Generator<FuzzCase> {
  const donors = corpus.flatMap((f) => f.segments.filter((s) => s.payload.length > 0));
  let nowNs = 1_800_000_000_000_000_000n;
  for (let index = 0; ; index++) {
    const hint = hints[index % hints.length]!;
    const kind = rng.chance(0.5) ? 'noise' : 'damaged';
    nowNs += 1_000_000n;
    const source = rng.pick(corpus);
    let segments: Segment[];
    let ops = 'noise';
    if (kind === 'noise') {
      segments = randomSegments(rng, donors, nowNs);
    } else {
      const m = mutateFlow(rng, source.segments, donors);
      const first = source.segments[0]!.timestampNs;
      segments = m.segments.map((s) => ({ ...s, timestampNs: nowNs + (s.timestampNs - first) }));
      ops = m.ops.join('+');
    }
    if (segments.length === 0) continue;
    // Noise sometimes arrives on the other transport than the flow it borrowed endpoints from.
    const transport = kind === 'noise' && rng.chance(0.1) ? (source.meta.transport === 'TCP' ? 'UDP' : 'TCP') : source.meta.transport;
    const meta: SegmentBatch = { ...source.meta, flowId: `fuzz-${index}`, transport, protocolHint: hint, segments: [] };
    yield { index, hint, kind, ops, file: source.file, nowNs, batches: cutIntoBatches(rng, meta, segments) };
  }
}
