// The correlator's clovisor_correlator_* metrics, copied from CorrelatorStage.stats() on each
// scrape (the join paths only count in plain numbers). Every bounded structure's forgetting is
// here: the x-request-id window, the x-request-id hold, the CLIENT/SERVER connection join.
import type { StageMetrics } from '@clovisor/core/metrics';
import type { CorrelatorStageStats } from './kafka-stage.js';

export function correlatorMetrics(stats: () => CorrelatorStageStats): StageMetrics {
  return (f) => {
    const consumed = f.counter('records_consumed_total', 'Transaction records read from clovisor.transactions.v1 (warm-up reads included).');
    const produced = f.counter('spans_produced_total', 'Span records written to clovisor.spans.v1.');
    const dead = f.counter('dead_lettered_total', 'Transaction records sent to clovisor.deadletter.v1: not decodable, or their span too large for Kafka.');
    const transactions = f.counter('transactions_total', 'Transactions the correlators processed (warm-up reads included).');
    const spans = f.counter('spans_total', 'Spans the correlators made (those of warm-up reads included; see warmup_spans_suppressed_total).');
    const malformed = f.labelledCounter('malformed_headers_total', 'Trace-context headers that did not parse and were ignored, by header (traceparent, tracestate, b3, b3-multi, uber-trace-id, x-request-id, x-envoy-decorator-operation).', 'header');
    const sources = f.labelledCounter('trace_sources_total', 'Spans by where their trace id came from: a header (w3c, b3, b3-single, jaeger), x-request-id-learned (another hop with the same x-request-id), x-request-id (derived from it), flow (derived from the connection), client-span (joined to the CLIENT capture).', 'source');
    const windowSize = f.gauge('request_id_window_entries', 'x-request-id → trace mappings remembered now (bounded; the oldest is evicted beyond).');
    const learned = f.counter('request_id_learned_total', 'x-request-id → trace mappings learned from a hop with trace context.');
    const hits = f.counter('request_id_hits_total', 'Hops without trace context whose x-request-id was found in the window.');
    const misses = f.counter('request_id_misses_total', 'Hops without trace context whose x-request-id was not in the window.');
    const forgotten = f.labelledCounter('request_id_forgotten_total', 'x-request-id mappings dropped from the window: reason="expired" (older than the window) or "full" (evicted, the window at its capacity).', 'reason');
    const held = f.gauge('request_id_held', 'Hops with only an x-request-id held now, waiting for a hop with trace context.');
    const released = f.labelledCounter('request_id_hold_released_total', 'Held x-request-id-only hops released: reason="resolved" (a hop with context came), "expired" (waited the hold time), "full" (evicted, the hold at its capacity), "idle" (released by the idle tick), "flushed" (stop).', 'reason');
    const clients = f.gauge('connection_join_clients', 'CLIENT spans remembered now for the SERVER capture of the same request.');
    const serversHeld = f.gauge('connection_join_held', 'SERVER spans held now, waiting for their CLIENT capture.');
    const joined = f.labelledCounter('server_spans_joined_total', 'SERVER spans made children of their CLIENT span: when="at_once" or "after_hold".', 'when');
    const unjoined = f.labelledCounter('server_spans_unjoined_total', 'SERVER spans emitted without their CLIENT span: reason="expired" (hold time over), "full" (evicted, the hold at its capacity), "idle" (idle tick), "flush" (stop), "duplicate" (same key held already), "not_held" (holding is off).', 'reason');
    const clientsForgotten = f.labelledCounter('client_spans_forgotten_total', 'CLIENT spans forgotten before a SERVER span used them: reason="expired" (window passed), "full" (evicted, at capacity), "duplicate" (same key seen again; the first is kept).', 'reason');
    const partitions = f.gauge('partitions', 'Partitions of clovisor.transactions.v1 this instance owns.');
    const warmups = f.counter('warmups_total', 'Partitions started by this instance (with a warm-up read when records came before).');
    const warmupRecords = f.counter('warmup_records_total', 'Records read again before the committed offset to rebuild the join state.');
    const suppressed = f.counter('warmup_spans_suppressed_total', 'Spans of warm-up reads dropped (they went out before the restart or rebalance).');
    const skipped = f.counter('records_skipped_total', 'Records already processed by this instance and handed out again by Kafka (after a rebalance): skipped.');
    const revokedHeld = f.counter('revoked_held_spans_total', 'SERVER spans held by a partition taken away by a rebalance: left to the new owner, not emitted here.');
    return () => {
      const s = stats();
      const p = s.partitioned;
      const c = p.correlator;
      consumed.set(s.consumed);
      produced.set(s.produced);
      dead.set(s.deadLettered);
      transactions.set(c.transactions);
      spans.set(c.spans);
      malformed.set(c.malformedHeaders);
      sources.set(c.traceSources);
      windowSize.set(c.requestIdWindow.size);
      learned.set(c.requestIdWindow.learned);
      hits.set(c.requestIdWindow.hits);
      misses.set(c.requestIdWindow.misses);
      forgotten.set({ expired: c.requestIdWindow.expired, full: c.requestIdWindow.evictedFull });
      held.set(c.requestIdHold.held);
      const h = c.requestIdHold;
      released.set({ resolved: h.resolved, expired: h.expired, full: h.evictedFull, idle: h.idle, flushed: h.flushed });
      const j = c.connectionJoin;
      clients.set(j.clients);
      serversHeld.set(j.held);
      joined.set({ at_once: j.joined, after_hold: j.joinedAfterHold });
      unjoined.set({ expired: j.unjoinedExpired, full: j.unjoinedFull, idle: j.unjoinedIdle, flush: j.unjoinedFlush, duplicate: j.unjoinedDuplicate, not_held: j.unjoinedNotHeld });
      clientsForgotten.set({ expired: j.clientsExpired, full: j.clientsEvictedFull, duplicate: j.clientsDuplicate });
      partitions.set(p.partitions);
      warmups.set(p.warmups);
      warmupRecords.set(p.warmupRecords);
      suppressed.set(p.suppressedSpans);
      skipped.set(p.skippedRecords);
      revokedHeld.set(p.revokedHeld);
    };
  };
}
