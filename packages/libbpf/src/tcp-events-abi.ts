// The ABI of bpf/tcp-events.bpf.c: program, tracepoint and map names, the port key and the event
// record. Pure (no addon). Keep in lockstep with the header comment of tcp-events.bpf.c.
import { fileURLToPath } from 'node:url';
import { formatIp } from './capture-abi.js';
import { BpfError } from './errors.js';
import { readPerCpuCounter } from './capture-counters.js';
import type { BpfObject } from './object.js';

/** Where build.sh puts the compiled object, relative to this package. */
export const TCP_EVENTS_OBJECT_PATH = fileURLToPath(new URL('../../../bpf/build/tcp-events.bpf.o', import.meta.url));

/** Each program and the kernel tracepoint it attaches to (tp_btf/<tracepoint>). */
export const TcpEventsProgram = [
  { program: 'tcp_state_change', tracepoint: 'inet_sock_set_state' },
  { program: 'tcp_retransmit', tracepoint: 'tcp_retransmit_skb' },
  { program: 'tcp_reset_sent', tracepoint: 'tcp_send_reset' },
  { program: 'tcp_reset_received', tracepoint: 'tcp_receive_reset' },
] as const;

export const TcpEventsMap = { PORTS: 'tcp_ports', COUNTERS: 'tcp_counters', EVENTS: 'tcp_events' } as const;
export const TCP_PORTS_MAX_ENTRIES = 1024;
export const TcpEventsCounter = { EMITTED: 0, LOST: 1 } as const;

export const TCP_EVENT_LEN = 64;
export const TcpEventOffset = {
  TS_NS: 0, // u64, CLOCK_MONOTONIC
  NETNS_INO: 8, // u32
  KIND: 12, // u8
  FAMILY: 13, // u8: 4 | 6
  OLD_STATE: 14, // u8
  NEW_STATE: 15, // u8
  SADDR: 16, // 16 bytes, local, network order
  DADDR: 32, // 16 bytes, remote
  SPORT: 48, // u16, local
  DPORT: 50, // u16, remote
  SEQ: 52, // u32
  SOCK_COOKIE: 56, // u64
} as const;

export type TcpEventKind = 'state' | 'retransmit' | 'reset-sent' | 'reset-received';
const KINDS: Record<number, TcpEventKind> = { 1: 'state', 2: 'retransmit', 3: 'reset-sent', 4: 'reset-received' };

/** Kernel TCP states (include/net/tcp_states.h), by number. */
export const TCP_STATE_NAMES: Record<number, string> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT', 7: 'CLOSE',
  8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
};

/** State name for a kernel TCP state number (`STATE_<n>` for one this table does not know). */
export function tcpStateName(state: number): string {
  return TCP_STATE_NAMES[state] ?? `STATE_${state}`;
}

export interface TcpEvent {
  tsNs: bigint;
  /** inode of the socket's network namespace (`stat -L -c %i /proc/<pid>/ns/net`) */
  netnsIno: number;
  kind: TcpEventKind;
  ipVersion: 4 | 6;
  /** kernel TCP state numbers; oldState is 0 except for 'state' events */
  oldState: number;
  newState: number;
  /** the socket's own side; lport is 0 in CLOSE→SYN_SENT (connect() has not picked it yet) */
  laddr: string;
  lport: number;
  /** its peer */
  raddr: string;
  rport: number;
  /** retransmit / reset sent: sequence number of the segment; else 0 */
  seq: number;
  /** the same for every event of one socket */
  sockCookie: bigint;
}

/** A v4-mapped IPv6 address (::ffff:a.b.c.d) in 16 bytes. */
function isV4Mapped(b: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Decodes one ring record. Throws BpfError EBADMSG when the record is inconsistent. */
export function decodeTcpEvent(rec: Buffer): TcpEvent {
  if (rec.length !== TCP_EVENT_LEN) throw new BpfError('EBADMSG', `TCP event of ${rec.length} bytes, expected ${TCP_EVENT_LEN}`);
  const kind = KINDS[rec[TcpEventOffset.KIND]!];
  if (kind === undefined) throw new BpfError('EBADMSG', `TCP event: kind ${rec[TcpEventOffset.KIND]}`);
  const family = rec[TcpEventOffset.FAMILY];
  if (family !== 4 && family !== 6) throw new BpfError('EBADMSG', `TCP event: family ${family}`);
  let saddr = rec.subarray(TcpEventOffset.SADDR, TcpEventOffset.SADDR + 16);
  let daddr = rec.subarray(TcpEventOffset.DADDR, TcpEventOffset.DADDR + 16);
  // A dual-stack socket talking IPv4 carries v4-mapped addresses; its packets on the wire (and
  // so the flows) are IPv4, so it is reported as IPv4.
  let v: 4 | 6 = family;
  if (family === 6 && isV4Mapped(saddr) && isV4Mapped(daddr)) {
    v = 4;
    saddr = saddr.subarray(12);
    daddr = daddr.subarray(12);
  }
  return {
    tsNs: rec.readBigUInt64LE(TcpEventOffset.TS_NS),
    netnsIno: rec.readUInt32LE(TcpEventOffset.NETNS_INO),
    kind,
    ipVersion: v,
    oldState: rec[TcpEventOffset.OLD_STATE]!,
    newState: rec[TcpEventOffset.NEW_STATE]!,
    laddr: formatIp(saddr, v),
    lport: rec.readUInt16LE(TcpEventOffset.SPORT),
    raddr: formatIp(daddr, v),
    rport: rec.readUInt16LE(TcpEventOffset.DPORT),
    seq: rec.readUInt32LE(TcpEventOffset.SEQ),
    sockCookie: rec.readBigUInt64LE(TcpEventOffset.SOCK_COOKIE),
  };
}

/** `tcp_ports` key: u16 port, host order. */
export function encodeTcpPortKey(port: number): Buffer {
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new BpfError('EINVAL', `port must be 1..65535, got ${port}`);
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port, 0);
  return b;
}

/** `tcp_ports` value: a nonzero byte. */
export const TCP_PORT_ON = Buffer.from([1]);

export interface TcpEventsCounters {
  emitted: bigint;
  /** ring buffer full */
  lost: bigint;
}

/** Sums tcp-events.bpf.c's per-CPU counters over all CPUs. */
export function readTcpEventsCounters(obj: BpfObject): TcpEventsCounters {
  const map = obj.map(TcpEventsMap.COUNTERS);
  return { emitted: readPerCpuCounter(map, TcpEventsCounter.EMITTED), lost: readPerCpuCounter(map, TcpEventsCounter.LOST) };
}
