import type { TcpSocketEventKind } from '@clovisor/core';
import { tcpStateName, type TcpEvent, type TcpEventKind } from '@clovisor/libbpf';
import type { FlowTracker } from './flow-tracker.js';

// Joins events of TCP sockets (tp_btf tracepoints, bpf/tcp-events.bpf.c) to the flows the
// FlowTracker builds from packets. The two arrive through different ring buffers, and a socket
// changes state before its packet reaches the veth (connect() sets SYN_SENT before the SYN
// leaves), so an event that finds no flow waits (bounded in count and time) and is retried.
// Events of one socket stay in order: once one of them waits, the later ones queue behind it.
// Pure: time comes in with the calls.

export interface TcpEventJoinOptions {
  /** events waiting for their flow, all sockets together; beyond, the oldest are dropped */
  maxWaiting?: number;
  /** an event that found no flow for this long is given up (counted as unmatched) */
  waitNs?: bigint;
}

export interface TcpEventJoinStats {
  received: number;
  /** put on a flow */
  attached: number;
  /** no flow of a monitored interface had this connection with the socket's side as the pod's */
  unmatched: number;
  /** dropped while waiting because maxWaiting was reached */
  overflow: number;
  waiting: number;
}

interface Waiting {
  event: TcpEvent;
  timestampNs: bigint;
}

const KIND: Record<TcpEventKind, TcpSocketEventKind> = {
  state: 'STATE', retransmit: 'RETRANSMIT', 'reset-sent': 'RESET_SENT', 'reset-received': 'RESET_RECEIVED',
};

export class TcpEventJoin {
  /** by socket cookie, in arrival order; each list in the socket's event order */
  private readonly waiting = new Map<bigint, Waiting[]>();
  private waitingCount = 0;
  private readonly maxWaiting: number;
  private readonly waitNs: bigint;
  private readonly counters = { received: 0, attached: 0, unmatched: 0, overflow: 0 };
  /** the tracker's flowsCreated at the last retry: without a new flow, retrying cannot succeed */
  private flowsSeen = -1;

  constructor(private readonly tracker: Pick<FlowTracker, 'addTcpEvent' | 'stats'>, options: TcpEventJoinOptions = {}) {
    this.maxWaiting = options.maxWaiting ?? 1024;
    this.waitNs = options.waitNs ?? 1_000_000_000n;
  }

  /** One event, its timestamp already converted to epoch ns. */
  add(event: TcpEvent, timestampNs: bigint): void {
    this.counters.received += 1;
    const queue = this.waiting.get(event.sockCookie);
    if (queue) {
      // connect() emits SYN_SENT before the socket has a local port: the socket's later events know it
      if (event.lport !== 0) for (const w of queue) if (w.event.lport === 0) w.event = { ...w.event, lport: event.lport, laddr: event.laddr };
      queue.push({ event, timestampNs });
      this.waitingCount += 1;
      this.drain(event.sockCookie, queue);
    } else if (event.lport === 0 || !this.attach(event, timestampNs)) {
      this.waiting.set(event.sockCookie, [{ event, timestampNs }]);
      this.waitingCount += 1;
    }
    while (this.waitingCount > this.maxWaiting) this.dropOldest();
  }

  /** Retries the waiting events (when a flow was created since the last retry); gives up those older than waitNs. */
  retry(nowNs: bigint): void {
    const flows = this.tracker.stats().flowsCreated;
    const worthRetrying = flows !== this.flowsSeen;
    this.flowsSeen = flows;
    for (const [cookie, queue] of this.waiting) {
      if (worthRetrying) this.drain(cookie, queue);
      while (queue.length > 0 && nowNs - queue[0]!.timestampNs >= this.waitNs) {
        queue.shift();
        this.waitingCount -= 1;
        this.counters.unmatched += 1;
        this.drain(cookie, queue);
      }
      if (queue.length === 0) this.waiting.delete(cookie);
    }
  }

  stats(): TcpEventJoinStats {
    return { ...this.counters, waiting: this.waitingCount };
  }

  private drain(cookie: bigint, queue: Waiting[]): void {
    while (queue.length > 0 && queue[0]!.event.lport !== 0 && this.attach(queue[0]!.event, queue[0]!.timestampNs)) {
      queue.shift();
      this.waitingCount -= 1;
    }
    if (queue.length === 0) this.waiting.delete(cookie);
  }

  private attach(e: TcpEvent, timestampNs: bigint): boolean {
    const ok = this.tracker.addTcpEvent({ address: e.laddr, port: e.lport }, { address: e.raddr, port: e.rport }, {
      timestampNs,
      kind: KIND[e.kind],
      oldState: e.kind === 'state' ? tcpStateName(e.oldState) : null,
      newState: tcpStateName(e.newState),
      seq: e.seq,
    });
    if (ok) this.counters.attached += 1;
    return ok;
  }

  private dropOldest(): void {
    const first = this.waiting.entries().next();
    if (first.done) return;
    const [cookie, queue] = first.value;
    queue.shift();
    this.waitingCount -= 1;
    this.counters.overflow += 1;
    if (queue.length === 0) this.waiting.delete(cookie);
  }
}
