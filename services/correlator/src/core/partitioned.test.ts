import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpanRecord, Transaction } from '@clovisor/core';
import { RECORDS_PER_REQUEST, requestChain } from '../testing/request-chain.js';
import { PartitionedCorrelator, type PartitionedCorrelatorOptions } from './partitioned.js';

const P = 0;

/** Feeds records[from..to) as one batch, the way the Kafka stage does; returns the spans. */
function feed(c: PartitionedCorrelator, records: Transaction[], from: number, to = records.length): { spans: SpanRecord[]; seekTo: bigint | null } {
  const seekTo = c.begin(P, BigInt(from));
  if (seekTo !== null) return { spans: [], seekTo };
  const spans: SpanRecord[] = [];
  for (let offset = from; offset < to; offset++) {
    if (c.phase(P, BigInt(offset)) === 'skip') continue;
    spans.push(...c.process(P, BigInt(offset), records[offset]!));
  }
  return { spans, seekTo: null };
}

/** What a restarted correlator sends: first batch at the committed offset, then from where it seeks. */
function restartAt(committed: bigint, records: Transaction[], opts: PartitionedCorrelatorOptions = {}): { spans: SpanRecord[]; c: PartitionedCorrelator } {
  const c = new PartitionedCorrelator(opts);
  const first = feed(c, records, Number(committed));
  if (first.seekTo === null) return { spans: first.spans, c };
  return { spans: feed(c, records, Number(first.seekTo)).spans, c };
}

function byId(spans: SpanRecord[]): Map<string, SpanRecord[]> {
  const m = new Map<string, SpanRecord[]>();
  for (const s of spans) m.set(s.spanId, [...(m.get(s.spanId) ?? []), s]);
  return m;
}

function assertSameSpans(actual: SpanRecord[], expected: SpanRecord[]): void {
  const got = byId(actual);
  const want = byId(expected);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same span ids');
  for (const [id, copies] of got) {
    assert.equal(copies.length, 1, `span ${id} once`);
    assert.deepEqual(copies[0], want.get(id)![0], `span ${id} as in the uninterrupted run`);
  }
}

const records = requestChain(6);
const uninterrupted = (() => {
  const c = new PartitionedCorrelator();
  return [...feed(c, records, 0).spans, ...[...c.flush().values()].flat()];
})();

test('crash while a SERVER span is held: the commit stays below it; the restart rebuilds the state and sends what was missing, identical', () => {
  const split = 3 * RECORDS_PER_REQUEST + 3; // after hop 2's SERVER capture of request 3 (held, waiting for its CLIENT)
  const before = new PartitionedCorrelator();
  const sent = feed(before, records, 0, split).spans;
  const [commit] = before.commitOffsets();
  assert.equal(commit?.offset, BigInt(split - 1), 'committed up to the held SERVER capture, not past it');
  assert.deepEqual(before.commitOffsets(), [], 'handed out once');
  // crash: nothing flushed. The restart reads from the committed offset.
  const { spans: after, c } = restartAt(commit!.offset, records);
  assertSameSpans([...sent, ...after], uninterrupted);
  const s = c.stats();
  assert.equal(s.warmups, 1);
  assert.equal(s.warmupRecords, split - 1, 'every record before the committed offset read again');
  assert.ok(s.suppressedSpans > 0, 'their spans dropped');
  assert.equal(s.correlator.traceSources['x-request-id'], 0, 'x-request-id-only hops learned the trace of hop 1 from the warm-up');
});

test('without a warm-up the x-request-id-only hop after a restart lands in another trace (what the warm-up prevents)', () => {
  const split = 2 * RECORDS_PER_REQUEST + 2; // hop 1 of request 2 done; its hop 2 only after the restart
  const before = new PartitionedCorrelator();
  const sent = feed(before, records, 0, split).spans;
  const [commit] = before.commitOffsets();
  assert.equal(commit?.offset, BigInt(split));
  const cold = restartAt(commit!.offset, records, { warmupRecords: 0 }).spans;
  const warm = restartAt(commit!.offset, records).spans;
  assertSameSpans([...sent, ...warm], uninterrupted);
  const hop2 = records[split]!;
  const coldHop2 = cold.find((s) => s.attributes['clovisor.flow_id']?.stringValue === hop2.flowId);
  const realHop2 = uninterrupted.find((s) => s.attributes['clovisor.flow_id']?.stringValue === hop2.flowId);
  assert.notEqual(coldHop2?.traceId, realHop2?.traceId);
});

test('graceful stop: flush sends the held span and commits past it; the restart does not send it again', () => {
  const split = 3 * RECORDS_PER_REQUEST + 3;
  const before = new PartitionedCorrelator();
  const sent = feed(before, records, 0, split).spans;
  before.commitOffsets();
  const flushed = [...before.flush().values()].flat();
  assert.equal(flushed.length, 1);
  assert.deepEqual(before.commitOffsets(), [{ partition: P, offset: BigInt(split) }]);
  const after = restartAt(BigInt(split), records).spans;
  const all = byId([...sent, ...flushed, ...after]);
  assert.deepEqual([...all.keys()].sort(), [...byId(uninterrupted).keys()].sort());
  for (const [id, copies] of all) assert.equal(copies.length, 1, `span ${id} once`);
  assert.equal(flushed[0]!.traceId, uninterrupted.find((s) => s.spanId === flushed[0]!.spanId)?.traceId, 'the flushed span is in the same trace');
});

test('a rebalance that keeps the partition: records read again from the committed offset are skipped', () => {
  const c = new PartitionedCorrelator();
  const first = feed(c, records, 0, 10).spans;
  c.commitOffsets();
  c.assigned([P, 1]);
  const again = feed(c, records, 8).spans; // KafkaJS reads from what was committed
  assertSameSpans([...first, ...again, ...[...c.flush().values()].flat()], uninterrupted);
  assert.equal(c.stats().skippedRecords, 2);
});

test('a revoked partition loses its state, held spans included (not committed: the new owner decides them)', () => {
  const c = new PartitionedCorrelator();
  feed(c, records, 0, RECORDS_PER_REQUEST - 1);
  c.assigned([1]);
  assert.equal(c.stats().partitions, 0);
  assert.equal(c.stats().revokedHeld, 1);
  assert.deepEqual([...c.flush().values()], []);
});

test('the correlators\' totals outlive a revoked partition (metrics counters never go down); current sizes do not', () => {
  const c = new PartitionedCorrelator();
  feed(c, records, 0, RECORDS_PER_REQUEST - 1);
  const owned = c.stats().correlator;
  assert.equal(owned.transactions, RECORDS_PER_REQUEST - 1);
  assert.equal(owned.connectionJoin.held, 1);
  c.assigned([1]);
  const revoked = c.stats().correlator;
  assert.equal(revoked.transactions, owned.transactions);
  assert.equal(revoked.spans, owned.spans);
  assert.deepEqual(revoked.traceSources, owned.traceSources);
  assert.equal(revoked.connectionJoin.held, 0, 'nothing held any more');
  assert.equal(revoked.connectionJoin.clients, 0);
  assert.equal(revoked.requestIdWindow.size, 0);
  // the partition back later: a fresh correlator, the totals go on from there
  feed(c, records, 0, 2);
  assert.equal(c.stats().correlator.transactions, owned.transactions + 2);
});

test('a warm-up bounded by warmupRecords, and bad options refused', () => {
  const c = new PartitionedCorrelator({ warmupRecords: 5 });
  assert.equal(c.begin(P, 20n), 15n);
  assert.equal(c.phase(P, 15n), 'warm');
  assert.equal(c.phase(P, 20n), 'live');
  assert.equal(c.phase(P, 14n), 'skip');
  assert.equal(c.begin(P, 17n), null, 'retention removed the head: the warm-up starts later');
  assert.equal(c.phase(P, 17n), 'warm');
  assert.equal(new PartitionedCorrelator({ warmupRecords: 5 }).begin(P, 20n, 18n), 18n, 'not below the first retained record');
  assert.equal(new PartitionedCorrelator({ warmupRecords: 5 }).begin(P, 20n, 20n), null, 'nothing retained before: no warm-up');
  assert.equal(new PartitionedCorrelator().begin(P, 0n), null, 'nothing before offset 0');
  assert.throws(() => new PartitionedCorrelator({ warmupRecords: -1 }), RangeError);
  assert.throws(() => new PartitionedCorrelator({ serverHoldMs: -1 }), RangeError);
});
