// The exporters' metrics, copied from their stats() on each scrape: clovisor_exporter_* for the
// OTLP span exporter (ExporterStage), clovisor_exporter_int_* for INT telemetry reports
// (IntExportStage). Every loss shows here: permanent rejections and dead letters, span fields
// dropped, reports not sent because the UDP queue was full, sequence numbers forgotten.
import type { StageMetrics } from '@clovisor/core/metrics';
import type { ExporterStageStats } from './kafka-stage.js';
import type { IntExportStageStats } from './int-stage.js';

export function exporterMetrics(stats: () => ExporterStageStats): StageMetrics {
  return (f) => {
    const exported = f.counter('spans_exported_total', 'Spans the OTLP backend accepted.');
    const requests = f.counter('otlp_requests_total', 'OTLP export requests sent (each up to 512 spans).');
    const failures = f.labelledCounter('otlp_request_failures_total', 'Failed OTLP export requests: kind="retryable" (backend down, timeout, 5xx, too many in flight: the batch is retried with backoff and not committed, nothing is lost) or "permanent" (e.g. 400: its spans are dead-lettered).', 'kind');
    const retries = f.counter('batch_retries_total', 'Kafka batches retried because an OTLP request of theirs failed retryably.');
    const rejected = f.counter('spans_rejected_total', 'Spans the backend rejected permanently: sent to clovisor.deadletter.v1.');
    const dead = f.counter('dead_lettered_total', 'Span records sent to clovisor.deadletter.v1: not decodable, or rejected permanently by the backend.');
    const emptyDropped = f.counter('empty_attributes_dropped_total', 'Span attributes dropped because they had no value.');
    const clamped = f.counter('span_end_clamped_total', 'Spans whose end was before their start: the end was set to the start.');
    const evictions = f.counter('resource_cache_evictions_total', 'OTLP resources (one per service/pod) evicted from the bounded cache, to be built again when needed.');
    const resources = f.gauge('resource_cache_entries', 'OTLP resources cached now (bounded).');
    return () => {
      const s = stats();
      exported.set(s.spansExported);
      requests.set(s.otlp.pushes);
      failures.set({ retryable: s.otlp.retryableFailures, permanent: s.otlp.permanentFailures });
      retries.set(s.requestsFailedRetryable);
      rejected.set(s.spansRejectedPermanently);
      dead.set(s.deadLettered);
      emptyDropped.set(s.otlp.adapter.emptyAttributesDropped);
      clamped.set(s.otlp.adapter.endClampedToStart);
      evictions.set(s.otlp.adapter.resources.evictions);
      resources.set(s.otlp.adapter.resources.size);
    };
  };
}

export function intExporterMetrics(stats: () => IntExportStageStats): StageMetrics {
  return (f) => {
    const consumed = f.counter('batches_consumed_total', 'INT report batches read from clovisor.int.v1.');
    const reports = f.labelledCounter('reports_total', 'Telemetry reports made: kind="flow" (a hop) or "drop" (a dropped packet).', 'kind');
    const sent = f.counter('datagrams_sent_total', 'Report datagrams handed to the kernel for the collector.');
    const sendErrors = f.counter('send_errors_total', 'Report datagrams the kernel refused to send (e.g. no route, ICMP unreachable from the collector): lost.');
    const droppedFull = f.counter('dropped_full_total', 'Report datagrams not sent because the bounded send queue was full: lost.');
    const unknownReason = f.counter('drop_reason_unknown_total', 'Drop reports whose kernel drop reason maps to no INT reason: sent with reason 0 (unknown).');
    const unknownSwitch = f.counter('switch_id_unknown_total', 'Reports of batches without a node IPv4 address and no --int-switch-id: sent with switch id 0.');
    const forgotten = f.counter('sequences_forgotten_total', 'Per-sender sequence counters forgotten because more senders than the bound were seen: those start again at 1.');
    const dead = f.counter('dead_lettered_total', 'INT records sent to clovisor.deadletter.v1 because they did not decode.');
    return () => {
      const s = stats();
      consumed.set(s.batchesConsumed);
      reports.set({ flow: s.flowReports, drop: s.dropReports });
      sent.set(s.sent);
      sendErrors.set(s.sendErrors);
      droppedFull.set(s.droppedFull);
      unknownReason.set(s.dropReasonUnknown);
      unknownSwitch.set(s.switchIdUnknown);
      forgotten.set(s.sequencesForgotten);
      dead.set(s.deadLettered);
    };
  };
}
