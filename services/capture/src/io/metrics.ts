// The capture agent's Prometheus metrics. Values are copied from the stage's stats() when a
// scrape arrives, so the packet path stays free of metric calls; only the Kafka send latency
// histogram is observed as it happens (one observation per Kafka request, not per packet).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CaptureCounters, FlowTableStats, RingReaderStats } from '@clovisor/libbpf';
import type { FlowTrackerStats } from '../core/flow-tracker.js';
import type { SegmentSenderStats } from './segment-sender.js';

/** What one scrape reports; CaptureStage.stats() returns a superset. Null parts read as 0. */
export interface CaptureMetricsSnapshot {
  kernel: CaptureCounters | null;
  ring: RingReaderStats | null;
  flows: FlowTrackerStats | null;
  /** the kernel flow table (bpf/capture.bpf.c `flows`) and its sweeper */
  flowTable: FlowTableStats | null;
  sender: SegmentSenderStats;
  decodeErrors: number;
  interfacesAttached: number;
  /** attach or map-update failures of an interface (e.g. its veth vanished, a map full) */
  attachFailures?: number;
  configReloads: number;
  /** TCP socket events (tp_btf); absent or null: not running */
  tcp?: {
    status: { attached: readonly string[] };
    kernel: { emitted: bigint; lost: bigint } | null;
    join: { attached: number; unmatched: number; overflow: number } | null;
  } | null;
  /** INT telemetry; absent or null: not running */
  int?: IntMetricsSnapshot | null;
}

/** INT telemetry (io/int-stage.ts), when it runs (--int). */
export interface IntMetricsSnapshot {
  /** int.bpf.c's counters; null before the probe is open */
  kernel: { hopsEmitted: bigint; dropsEmitted: bigint; lost: bigint; suppressed: bigint; dropsSuppressed: bigint; rateKeysCreated: bigint; wakeupsForced: bigint } | null;
  /** ring records dropped in user space (the JS thread was behind) */
  ringDroppedRecords: number;
  decodeErrors: number;
  /** tracked packets freed as QUEUE_PURGE: not network loss, counted by int.bpf.c and not reported */
  dropsIgnored: number;
  queue: { queued: number; dropped: number; droppedDrops: number };
  batchesSent: number;
  sendErrors: number;
  /** null without --int-watchlist (every TCP/UDP packet is watched) */
  watchlist: { reloads: number; errors: number; rules: number } | null;
  interfacesAttached: number;
  attachFailures: number;
}

export interface CaptureMetrics {
  /** Copies the provider's current numbers into the metrics (the endpoint calls it on each scrape). */
  update(): void;
  /** One Kafka send took this long (seconds). */
  observeSendDuration(seconds: number, ok: boolean): void;
}

type Counters = Record<string, Counter<string>>;

/**
 * Defines every clovisor_capture_* metric in the registry of a MetricsEndpoint (the process's,
 * shared with its other stages, or the stage's own; never prom-client's global one, so two
 * agents in one process, e.g. tests, do not collide). Counters mirror totals kept elsewhere: on
 * each scrape they are reset and set to the total, which is monotonic anyway.
 */
export function createCaptureMetrics(provider: () => CaptureMetricsSnapshot, registry: Registry): CaptureMetrics {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name: `clovisor_capture_${name}`, help, labelNames, registers });
  const gauge = (name: string, help: string) => new Gauge({ name: `clovisor_capture_${name}`, help, registers });

  const c: Counters = {
    events: counter('kernel_events_total', 'Packets the eBPF program copied into the ring buffer.'),
    payload: counter('payload_bytes_total', 'Payload bytes the eBPF program copied (after the snaplen cut).'),
    lost: counter('kernel_lost_events_total', 'Packets the eBPF program could not copy because the ring buffer was full.'),
    truncated: counter('truncated_packets_total', 'Packets whose payload was cut at the snaplen.'),
    matched: counter('matched_packets_total', 'Packets on a configured port seen by the eBPF program (copied or not).'),
    ringRecords: counter('ring_dropped_records_total', 'Ring buffer records dropped in user space because the JavaScript thread was behind.'),
    ringBatches: counter('ring_dropped_batches_total', 'Ring buffer batches dropped in user space because the JavaScript thread was behind.'),
    flowsCreated: counter('flows_created_total', 'Flows (connections) the tracker started.'),
    flowsEvicted: counter('flows_evicted_total', 'Flows dropped from the tracker before they closed: reason="lru" (table full) or "idle" (no packet for 120 s).', ['reason']),
    batchesSent: counter('segment_batches_sent_total', 'Segment batches published to Kafka.'),
    batchesDropped: counter('segment_batches_dropped_total', 'Segment batches dropped because the send queue was full (Kafka slow or down).'),
    sendErrors: counter('kafka_send_errors_total', 'Failed Kafka sends of segment batches (each is retried).'),
    reloads: counter('config_reloads_total', 'Configuration changes from Redis applied by the agent.'),
    attachFailures: counter('interface_attach_failures_total', 'Failed attaches or kernel map updates of an interface (retried on the next change).'),
    decodeErrors: counter('decode_errors_total', 'Ring buffer records that could not be decoded as capture events.'),
    kernelFlowsCreated: counter('kernel_flows_created_total', 'Entries the eBPF program created in the kernel flow table.'),
    kernelFlowsRemoved: counter(
      'kernel_flows_removed_total',
      'Entries that left the kernel flow table: reason="fin" (second FIN), "rst", "idle" (aged out by the sweeper), "purged" (interface no longer traced), "lru" (evicted by the kernel because the table was full; a lower bound, exact once a sweep pass runs over a quiet table).',
      ['reason'],
    ),
    kernelFlowInsertFailures: counter('kernel_flow_insert_failures_total', 'Kernel flow-table inserts the kernel refused (e.g. out of memory).'),
    nodeEvents: counter('node_events_total', 'Packets of traced flows seen on a node interface (--node-interface) and timed.'),
    nodeUnmatched: counter('node_events_unmatched_total', 'Node-interface events that could not be put on a captured segment (flow unknown here, or no matching segment).'),
    tcpEvents: counter('tcp_events_total', 'TCP socket events (state changes, retransmits, resets) the tp_btf programs emitted.'),
    tcpLost: counter('tcp_events_lost_total', 'TCP socket events lost because their ring buffer was full.'),
    tcpJoined: counter('tcp_events_joined_total', 'TCP socket events put on the flow of their connection.'),
    tcpUnmatched: counter('tcp_events_unmatched_total', 'TCP socket events that matched no flow: reason="no_flow" (no traced pod owns the socket, waited 1 s) or "overflow" (too many waiting).', ['reason']),
    intEvents: counter('int_events_total', 'INT events the eBPF programs reported: kind="hop" (a packet crossed the host, within the rate limit) or "drop" (the kernel dropped a watched packet).', ['kind']),
    intLost: counter('int_ring_lost_total', 'INT events lost because their ring buffer was full, in the kernel or in user space.'),
    intRateLimited: counter('int_rate_limited_total', 'INT events not reported because of the rate limit: kind="hop" (per flow, ingress, egress) or "drop" (per flow, ingress, egress, drop reason).', ['kind']),
    intRateKeys: counter('int_rate_keys_created_total', 'Rate-limit entries made in the kernel (16384 at most are kept: beyond that, evicted keys are made again and report FIRST).'),
    intDropWakeups: counter('int_drop_wakeups_total', 'Drop reports that woke the ring reader at once (at most one per CPU per millisecond).'),
    intQueueDropped: counter('int_queue_dropped_total', 'INT events dropped because the Kafka send queue was full: kind="hop" or "drop".', ['kind']),
    intBatches: counter('int_batches_sent_total', 'INT report batches published to Kafka.'),
    intSendErrors: counter('int_send_errors_total', 'Failed Kafka sends of INT report batches (each is retried).'),
    intDecodeErrors: counter('int_decode_errors_total', 'INT ring records that could not be decoded.'),
    intDropsIgnored: counter('int_drops_ignored_total', 'Tracked packets the kernel freed as QUEUE_PURGE (unread data freed when its socket closed): not network loss, so int.bpf.c counts them instead of reporting a drop.'),
    intReloads: counter('int_watchlist_reloads_total', 'INT watchlist file changes applied.'),
    intReloadErrors: counter('int_watchlist_errors_total', 'INT watchlist file changes refused (unreadable or invalid; the last good rules stay).'),
    intAttachFailures: counter('int_attach_failures_total', 'Failed attaches of the INT programs to an interface.'),
    intHopsJoined: counter('int_hops_joined_total', 'INT hop reports put on a segment batch of a traced flow (a pod-to-pod report goes on both pods\' flows).'),
    intHopsUnjoined: counter('int_hops_unjoined_total', 'INT hop reports not put on a flow: reason="no_flow" (no traced flow of the connection took it before it left the bounded memory) or "batch_full" (the batch already had 16).', ['reason']),
  };
  const intQueued = gauge('int_events_queued', 'INT events waiting to be sent to Kafka.');
  const intRules = gauge('int_watchlist_rules', 'Rules of the INT watchlist in force; -1 = no watchlist file (every TCP/UDP packet is watched).');
  const intAttached = gauge('int_interfaces_attached', 'Network interfaces the INT programs are attached to.');
  const kernelFlowsLive = gauge('kernel_flows_live', 'Entries in the kernel flow table, as counted by the latest complete sweep pass.');
  const kernelFlowTableSize = gauge('kernel_flow_table_size', 'Capacity of the kernel flow table (--flow-table-size).');
  const flowsActive = gauge('flows_active', 'Flows currently tracked.');
  const queued = gauge('segment_batches_queued', 'Segment batches waiting to be sent to Kafka.');
  const lastSend = gauge('kafka_last_send_duration_seconds', 'Duration of the latest successful Kafka send.');
  const attached = gauge('interfaces_attached', 'Network interfaces the eBPF programs are attached to (ingress and egress).');
  const tcpTracepoints = gauge('tcp_tracepoints_attached', 'TCP tracepoints attached (of 4: inet_sock_set_state, tcp_retransmit_skb, tcp_send_reset, tcp_receive_reset); 0 = this kernel has no BTF or refused them.');
  const sendDuration = new Histogram({
    name: 'clovisor_capture_kafka_send_duration_seconds',
    help: 'Duration of Kafka sends of segment batches, result="ok" or "error".',
    labelNames: ['result'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  const set = (metric: Counter<string>, value: number | bigint, labels?: Record<string, string>) => {
    // a labelled counter is reset by the caller, once for all its labels
    if (!labels) metric.reset();
    if (labels) metric.inc(labels, Number(value));
    else metric.inc(Number(value));
  };

  const update = (s: CaptureMetricsSnapshot): void => {
    const k = s.kernel;
    set(c.events!, k?.emitted ?? 0);
    set(c.payload!, k?.payloadBytes ?? 0);
    set(c.lost!, k?.lost ?? 0);
    set(c.truncated!, k?.truncated ?? 0);
    set(c.matched!, k?.matched ?? 0);
    set(c.ringRecords!, s.ring?.droppedRecords ?? 0);
    set(c.ringBatches!, s.ring?.droppedBatches ?? 0);
    set(c.flowsCreated!, s.flows?.flowsCreated ?? 0);
    c.flowsEvicted!.reset();
    set(c.flowsEvicted!, s.flows?.flowsEvictedLru ?? 0, { reason: 'lru' });
    set(c.flowsEvicted!, s.flows?.flowsExpiredIdle ?? 0, { reason: 'idle' });
    set(c.batchesSent!, s.sender.sent);
    set(c.batchesDropped!, s.sender.droppedQueueFull);
    set(c.sendErrors!, s.sender.sendErrors);
    set(c.reloads!, s.configReloads);
    set(c.attachFailures!, s.attachFailures ?? 0);
    set(c.decodeErrors!, s.decodeErrors);
    const ft = s.flowTable;
    set(c.kernelFlowsCreated!, ft?.created ?? 0);
    c.kernelFlowsRemoved!.reset();
    set(c.kernelFlowsRemoved!, ft?.closedFin ?? 0, { reason: 'fin' });
    set(c.kernelFlowsRemoved!, ft?.closedRst ?? 0, { reason: 'rst' });
    set(c.kernelFlowsRemoved!, ft?.aged ?? 0, { reason: 'idle' });
    set(c.kernelFlowsRemoved!, ft?.purged ?? 0, { reason: 'purged' });
    set(c.kernelFlowsRemoved!, ft?.evictedLru ?? 0, { reason: 'lru' });
    set(c.kernelFlowInsertFailures!, ft?.insertFailed ?? 0);
    set(c.nodeEvents!, k?.nodeEmitted ?? 0);
    set(c.nodeUnmatched!, s.flows?.nodeEventsUnmatched ?? 0);
    kernelFlowsLive.set(ft?.live ?? 0);
    kernelFlowTableSize.set(ft?.size ?? 0);
    flowsActive.set(s.flows?.flowsActive ?? 0);
    queued.set(s.sender.queued);
    lastSend.set(s.sender.lastSendLatencyMs / 1000);
    attached.set(s.interfacesAttached);
    set(c.tcpEvents!, s.tcp?.kernel?.emitted ?? 0);
    set(c.tcpLost!, s.tcp?.kernel?.lost ?? 0);
    set(c.tcpJoined!, s.tcp?.join?.attached ?? 0);
    c.tcpUnmatched!.reset();
    set(c.tcpUnmatched!, s.tcp?.join?.unmatched ?? 0, { reason: 'no_flow' });
    set(c.tcpUnmatched!, s.tcp?.join?.overflow ?? 0, { reason: 'overflow' });
    tcpTracepoints.set(s.tcp?.status.attached.length ?? 0);
    const n = s.int ?? null;
    c.intEvents!.reset();
    set(c.intEvents!, n?.kernel?.hopsEmitted ?? 0, { kind: 'hop' });
    set(c.intEvents!, n?.kernel?.dropsEmitted ?? 0, { kind: 'drop' });
    set(c.intLost!, (n?.kernel?.lost ?? 0n) + BigInt(n?.ringDroppedRecords ?? 0));
    c.intRateLimited!.reset();
    set(c.intRateLimited!, n?.kernel?.suppressed ?? 0, { kind: 'hop' });
    set(c.intRateLimited!, n?.kernel?.dropsSuppressed ?? 0, { kind: 'drop' });
    set(c.intRateKeys!, n?.kernel?.rateKeysCreated ?? 0);
    set(c.intDropWakeups!, n?.kernel?.wakeupsForced ?? 0);
    c.intQueueDropped!.reset();
    set(c.intQueueDropped!, (n?.queue.dropped ?? 0) - (n?.queue.droppedDrops ?? 0), { kind: 'hop' });
    set(c.intQueueDropped!, n?.queue.droppedDrops ?? 0, { kind: 'drop' });
    set(c.intBatches!, n?.batchesSent ?? 0);
    set(c.intSendErrors!, n?.sendErrors ?? 0);
    set(c.intDecodeErrors!, n?.decodeErrors ?? 0);
    set(c.intDropsIgnored!, n?.dropsIgnored ?? 0);
    set(c.intReloads!, n?.watchlist?.reloads ?? 0);
    set(c.intReloadErrors!, n?.watchlist?.errors ?? 0);
    set(c.intAttachFailures!, n?.attachFailures ?? 0);
    intQueued.set(n?.queue.queued ?? 0);
    intRules.set(n ? (n.watchlist?.rules ?? -1) : 0);
    intAttached.set(n?.interfacesAttached ?? 0);
    set(c.intHopsJoined!, s.flows?.intHopsAttached ?? 0);
    c.intHopsUnjoined!.reset();
    set(c.intHopsUnjoined!, s.flows?.intHopsUnmatched ?? 0, { reason: 'no_flow' });
    set(c.intHopsUnjoined!, s.flows?.intHopsDropped ?? 0, { reason: 'batch_full' });
  };

  return {
    update() {
      update(provider());
    },
    observeSendDuration(seconds, ok) {
      sendDuration.observe({ result: ok ? 'ok' : 'error' }, seconds);
    },
  };
}
