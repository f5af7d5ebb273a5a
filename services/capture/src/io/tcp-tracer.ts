import { existsSync } from 'node:fs';
import { errorMessage, type Logger } from '@clovisor/core';
import {
  BpfObject, TCP_EVENTS_OBJECT_PATH, TCP_PORT_ON, TcpEventsMap, TcpEventsProgram, decodeTcpEvent, encodeTcpPortKey, forEachRecord,
  kernelHasTracepoint, readTcpEventsCounters, type RingReader, type RingReaderStats, type TcpEvent, type TcpEventsCounters,
} from '@clovisor/libbpf';

/** What the kernel let us attach: all four tracepoints, some of them, or none (and why). */
export interface TcpTracingStatus {
  state: 'on' | 'partial' | 'off';
  attached: string[];
  /** tracepoints this kernel does not have */
  missing: string[];
  /** why tracing is off (or partial), in words; null when on */
  reason: string | null;
}

export interface TcpTracerStats {
  status: TcpTracingStatus;
  kernel: TcpEventsCounters | null;
  ring: RingReaderStats | null;
  decodeErrors: number;
}

const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/**
 * The shell around bpf/tcp-events.bpf.c: probes what the kernel offers, loads and attaches the
 * tp_btf programs it can, fills the port filter and hands decoded events on. Never throws: a
 * kernel without BTF or the tracepoints gets one log line and capture runs without them.
 */
export class TcpTracer {
  private object: BpfObject | null = null;
  private reader: RingReader | null = null;
  private decodeErrors = 0;
  private ports = new Set<number>();
  private status: TcpTracingStatus = { state: 'off', attached: [], missing: [], reason: 'not started' };

  constructor(private readonly log: Logger) {}

  start(ports: readonly number[], onEvent: (event: TcpEvent) => void): TcpTracingStatus {
    this.status = this.open(ports, onEvent);
    if (this.status.state === 'on') this.log.info('TCP tracepoints attached', { tracepoints: this.status.attached.join(',') });
    else if (this.status.state === 'partial') this.log.warn(`TCP tracepoints partly attached: ${this.status.reason}`, { attached: this.status.attached.join(',') });
    else this.log.warn(`TCP state/retransmit tracing off: ${this.status.reason}; capture continues without it`);
    return this.status;
  }

  stats(): TcpTracerStats {
    return {
      status: this.status,
      kernel: this.object ? readTcpEventsCounters(this.object) : null,
      ring: this.reader?.stats() ?? null,
      decodeErrors: this.decodeErrors,
    };
  }

  /** Makes the kernel's port filter equal to `ports` (interfaces and their ports change at run time). */
  setPorts(ports: readonly number[]): void {
    if (!this.object) return;
    const portMap = this.object.map(TcpEventsMap.PORTS);
    const wanted = new Set(ports);
    for (const port of this.ports) if (!wanted.has(port)) portMap.delete(encodeTcpPortKey(port));
    for (const port of wanted) if (!this.ports.has(port)) portMap.update(encodeTcpPortKey(port), TCP_PORT_ON);
    this.ports = wanted;
  }

  /** Detaches the programs and closes the ring reader (idempotent). */
  close(): void {
    this.reader?.close();
    this.reader = null;
    this.object?.close();
    this.object = null;
    if (this.status.state !== 'off') this.status = { ...this.status, state: 'off', attached: [], reason: 'stopped' };
  }

  private open(ports: readonly number[], onEvent: (event: TcpEvent) => void): TcpTracingStatus {
    const off = (reason: string, missing: string[] = []): TcpTracingStatus => ({ state: 'off', attached: [], missing, reason });
    if (process.env['CLOVISOR_TCP_EVENTS'] === '0') return off('CLOVISOR_TCP_EVENTS=0');
    if (!existsSync(VMLINUX_BTF)) return off(`the kernel has no BTF (${VMLINUX_BTF} missing; needs CONFIG_DEBUG_INFO_BTF=y)`);
    if (!existsSync(TCP_EVENTS_OBJECT_PATH)) return off(`eBPF object ${TCP_EVENTS_OBJECT_PATH} is missing: run \`npm run build\``);
    const missing = TcpEventsProgram.filter((p) => !kernelHasTracepoint(p.tracepoint));
    if (missing.length === TcpEventsProgram.length) return off('the kernel has none of the tracepoints inet_sock_set_state, tcp_retransmit_skb, tcp_send_reset, tcp_receive_reset', missing.map((p) => p.tracepoint));
    const attached: string[] = [];
    try {
      this.object = BpfObject.open(TCP_EVENTS_OBJECT_PATH, { skipPrograms: missing.map((p) => p.program) });
      const portMap = this.object.map(TcpEventsMap.PORTS);
      this.ports = new Set(ports);
      for (const port of this.ports) portMap.update(encodeTcpPortKey(port), TCP_PORT_ON);
      this.reader = this.object.openRingReader(TcpEventsMap.EVENTS, (batch) => forEachRecord(batch, (rec) => {
        let event: TcpEvent;
        try {
          event = decodeTcpEvent(rec);
        } catch (err) {
          this.decodeErrors += 1;
          if (this.decodeErrors <= 10) this.log.warn('undecodable TCP event', { error: errorMessage(err) });
          return;
        }
        onEvent(event);
      }), { maxQueuedBatches: 16, maxBatchBytes: 64 * 1024, onError: (err) => this.log.error('TCP event batch failed', { error: errorMessage(err) }) });
      for (const p of TcpEventsProgram) {
        if (missing.includes(p)) continue;
        this.object.attachTracing(p.program);
        attached.push(p.tracepoint);
      }
    } catch (err) {
      this.close();
      return off(`the kernel refused the tp_btf programs (${errorMessage(err).split('\n')[0]})`, missing.map((p) => p.tracepoint));
    }
    if (missing.length > 0) return { state: 'partial', attached, missing: missing.map((p) => p.tracepoint), reason: `the kernel lacks ${missing.map((p) => p.tracepoint).join(', ')}` };
    return { state: 'on', attached, missing: [], reason: null };
  }
}
