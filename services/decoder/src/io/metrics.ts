// The decoder's clovisor_decoder_* metrics, copied from the stage's counters on each scrape (the
// parsers only count in plain numbers). Every bound of the decoder shows here when it bites:
// flows evicted (idle, LRU, memory), gaps, resyncs, oversized frames, pending overflows, plugin
// drops, dead letters.
import type { TransformStageStats } from '@clovisor/core';
import type { StageMetrics } from '@clovisor/core/metrics';
import type { DecoderStats } from '../core/stats.js';
import type { PluginHostStats } from '../plugins/host.js';
import type { PluginConfigWatcherStats } from '../plugins/redis-config.js';

export interface DecoderMetricsSnapshot {
  stage: TransformStageStats;
  decoder: DecoderStats;
  plugins: PluginHostStats & { redis: PluginConfigWatcherStats | null };
}

export function decoderMetrics(snapshot: () => DecoderMetricsSnapshot): StageMetrics {
  return (f) => {
    const c = (name: string, help: string) => f.counter(name, help);
    const m = {
      consumed: c('records_consumed_total', 'Segment batch records read from clovisor.segments.v1.'),
      produced: c('transactions_produced_total', 'Transaction records written to clovisor.transactions.v1 (built-in parsers and plugins).'),
      dead: c('dead_lettered_total', 'Segment batch records sent to clovisor.deadletter.v1: not decodable, a plugin failed on them, or their output too large for Kafka.'),
      batches: c('batches_total', 'Segment batches decoded by the built-in parsers.'),
      segments: c('segments_total', 'Segments in those batches.'),
      payload: c('payload_bytes_total', 'Payload bytes in those segments.'),
      captureLost: c('capture_lost_events_total', 'Packets the capture agent reported lost before the batches it sent (their flows have gaps).'),
      flowsCreated: c('flows_created_total', 'Flows (TCP connections, UDP datagram flows) the decoder started.'),
      flowsClosed: c('flows_closed_total', 'Flows that ended (FIN, RST or the capture\'s close).'),
      flowsUndetected: c('flows_undetected_total', 'Flows whose first bytes matched no protocol: not parsed.'),
      segmentsAfterClose: c('segments_after_close_total', 'Segments of a flow that had already ended (late retransmissions, trailing ACKs): ignored.'),
      transactions: c('transactions_total', 'Transactions (request/response exchanges) the built-in parsers emitted.'),
      incomplete: c('incomplete_transactions_total', 'Transactions emitted incomplete (no response, a gap, the flow evicted or flushed).'),
      orphans: c('orphan_responses_total', 'Responses no captured request could own: dropped.'),
      pendingOverflows: c('pending_overflows_total', 'Requests emitted without response because too many were pending on their flow.'),
      switches: c('protocol_switches_total', 'Connections that switched protocol (Upgrade, CONNECT): not parsed after the switch.'),
      datagramsUndetected: c('datagrams_undetected_total', 'UDP datagrams matching no datagram protocol: not parsed.'),
      datagramsInvalid: c('datagrams_invalid_total', 'Datagrams of a datagram flow that its protocol rejected.'),
      datagramsTruncated: c('datagrams_truncated_total', 'Datagrams cut by the capture snaplen: parsed as far as they go.'),
      unanswered: c('unanswered_queries_total', 'Datagram queries given up without response (timeout, same id again, flow ended, too many pending).'),
      duplicateSegments: c('duplicate_segments_total', 'TCP segments already reassembled (retransmissions): dropped.'),
      outOfOrder: c('out_of_order_segments_total', 'TCP segments that arrived ahead of a missing one and waited in the bounded out-of-order window.'),
      gaps: c('gaps_total', 'Holes in a TCP stream given up on (missing bytes, or the out-of-order window full): the parser resyncs after them.'),
      gapBytes: c('gap_bytes_total', 'Bytes missing in those holes.'),
      truncatedSegments: c('truncated_segments_total', 'Segments whose payload was cut by the capture snaplen.'),
      truncatedBytes: c('truncated_bytes_total', 'Payload bytes not captured because of the snaplen.'),
      segmentsAfterEnd: c('segments_after_end_total', 'Payload segments after their direction ended (late retransmissions): dropped.'),
      invalidFrames: c('invalid_frames_total', 'Frames a protocol parser rejected as invalid.'),
      resyncs: c('resyncs_total', 'Times a frame boundary was found again after invalid bytes or a gap.'),
      bytesSkipped: c('bytes_skipped_total', 'Captured bytes dropped without being parsed (resync scans, undetected protocol).'),
      partialFrames: c('partial_frames_total', 'Frames cut short and emitted with what was known.'),
      bytesAfterSwitch: c('bytes_after_switch_total', 'Bytes after a protocol switch: not parsed.'),
      oversizedFrames: c('oversized_frames_total', 'Frames that outgrew the parser\'s bounded buffer: given up.'),
      intHops: c('int_hops_total', 'INT hop reports received with the segment batches of decoded flows.'),
      intHopsEvicted: c('int_hops_evicted_total', 'INT hop reports a flow let go because it held the maximum of newer ones.'),
      txWithHop: c('transactions_with_int_hop_total', 'Transactions that carry an INT hop.'),
      pluginCalls: c('plugin_calls_total', 'Calls into decoder plugin workers.'),
      pluginTransactions: c('plugin_transactions_total', 'Transactions the plugins returned.'),
      workerStarts: c('plugin_worker_starts_total', 'Plugin worker threads started (first load, reload, or after a failure).'),
      reloads: c('plugin_reloads_total', 'Plugin modules loaded again (a Redis change or reload message).'),
      loadFailures: c('plugin_load_failures_total', 'Plugin modules that could not be loaded (missing file, bad export, import error).'),
      pluginDead: c('plugin_dead_lettered_total', 'Inputs a plugin failed on, handed back for the dead-letter topic (counted in dead_lettered_total too).'),
      carryDropped: c('plugin_carry_dropped_total', 'Transactions of a replaced plugin worker dropped because more were waiting than the limit.'),
      redisReadFailures: c('plugin_config_read_failures_total', 'Failed reads of the plugin configuration from Redis (clovisor_proto_cfg); the last good one stays.'),
    };
    const evicted = f.labelledCounter('flows_evicted_total', 'Flows dropped before they ended, each emitting what it had as incomplete transactions: reason="idle" (no segment for 60 s), "lru" (too many flows), "memory" (the bytes held across flows over budget).', 'reason');
    const failures = f.labelledCounter('plugin_failures_total', 'Plugin calls that failed, by code (PLUGIN_ERROR, PLUGIN_TIMEOUT, PLUGIN_MEMORY, PLUGIN_CRASH, PLUGIN_LOAD, PLUGIN_BUSY, PLUGIN_DISABLED); the input goes to the dead-letter topic.', 'code');
    const pluginDropped = f.labelledCounter('plugin_dropped_total', 'What plugin results lost to the limits: what="transactions" (too many per call), "attributes" (too many per transaction), "truncated_values" (values cut to the length limit).', 'what');
    const flowsActive = f.gauge('flows_active', 'Flows tracked now (bounded; LRU eviction beyond).');
    const buffered = f.gauge('buffered_bytes', 'Bytes held now across flows: out-of-order segments and unparsed frame bytes (bounded; eviction beyond).');
    const loaded = f.gauge('plugins_loaded', 'Decoder plugins loaded and routed to now.');
    return () => {
      const { stage, decoder: d, plugins: p } = snapshot();
      m.consumed.set(stage.consumed);
      m.produced.set(stage.produced);
      m.dead.set(stage.deadLettered);
      m.batches.set(d.batches);
      m.segments.set(d.segments);
      m.payload.set(d.payloadBytes);
      m.captureLost.set(d.lostEvents);
      m.flowsCreated.set(d.flowsCreated);
      m.flowsClosed.set(d.flowsClosed);
      m.flowsUndetected.set(d.flowsUndetected);
      m.segmentsAfterClose.set(d.segmentsAfterClose);
      m.transactions.set(d.transactions);
      m.incomplete.set(d.incompleteTransactions);
      m.orphans.set(d.orphanResponses);
      m.pendingOverflows.set(d.pendingOverflows);
      m.switches.set(d.protocolSwitches);
      m.datagramsUndetected.set(d.datagramsUndetected);
      m.datagramsInvalid.set(d.datagramsInvalid);
      m.datagramsTruncated.set(d.datagramsTruncated);
      m.unanswered.set(d.unansweredQueries);
      m.duplicateSegments.set(d.duplicateSegments);
      m.outOfOrder.set(d.outOfOrderSegments);
      m.gaps.set(d.gaps);
      m.gapBytes.set(d.gapBytes);
      m.truncatedSegments.set(d.truncatedSegments);
      m.truncatedBytes.set(d.truncatedBytes);
      m.segmentsAfterEnd.set(d.segmentsAfterEnd);
      m.invalidFrames.set(d.invalidFrames);
      m.resyncs.set(d.resyncs);
      m.bytesSkipped.set(d.bytesSkipped);
      m.partialFrames.set(d.partialFrames);
      m.bytesAfterSwitch.set(d.bytesAfterSwitch);
      m.oversizedFrames.set(d.oversizedFrames);
      m.intHops.set(d.intHops);
      m.intHopsEvicted.set(d.intHopsEvicted);
      m.txWithHop.set(d.transactionsWithIntHop);
      m.pluginCalls.set(p.calls);
      m.pluginTransactions.set(p.transactions);
      m.workerStarts.set(p.workerStarts);
      m.reloads.set(p.reloads);
      m.loadFailures.set(p.loadFailures);
      m.pluginDead.set(p.deadLettered);
      m.carryDropped.set(p.carryDropped);
      m.redisReadFailures.set(p.redis?.readFailures ?? 0);
      evicted.set({ idle: d.flowsEvictedIdle, lru: d.flowsEvictedLru, memory: d.flowsEvictedMemory });
      failures.set(p.failures);
      pluginDropped.set({ transactions: p.dropped.transactions, attributes: p.dropped.attributes, truncated_values: p.dropped.truncatedValues });
      flowsActive.set(d.flowsActive);
      buffered.set(d.bufferedBytes);
      loaded.set(p.loaded);
    };
  };
}
