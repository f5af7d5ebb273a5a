// Test support for the INT collector tests: a UDP sender run with python3 inside a namespace that
// says exactly what it sent. Each datagram carries the caller's marker plus its number, is sent
// with an explicit TTL / hop limit, and is reported with its source port and the wall-clock
// window (time.time_ns) around its sendto(), so reports can be checked against the sending.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// argv: family dst port count interval_s ttl marker_hex new_flow(0|1). With new_flow every datagram
// gets a socket of its own; all stay open until the end, so their source ports are distinct.
const SENDER = `
import socket, sys, time
fam, dst, port, count, interval, ttl, marker, new_flow = sys.argv[1:9]
af = socket.AF_INET if fam == '4' else socket.AF_INET6
def sock():
    s = socket.socket(af, socket.SOCK_DGRAM)
    if fam == '4': s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(ttl))
    else: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, int(ttl))
    s.bind(('0.0.0.0' if fam == '4' else '::', 0))
    return s
socks = [sock()]
for i in range(int(count)):
    if new_flow == '1' and i > 0: socks.append(sock())
    s = socks[-1]
    payload = bytes.fromhex(marker) + b'#%04d' % i
    t0 = time.time_ns()
    s.sendto(payload, (dst, int(port)))
    t1 = time.time_ns()
    print(s.getsockname()[1], t0, t1, payload.hex(), flush=True)
    if float(interval) > 0: time.sleep(float(interval))
`;

export interface SentDatagram {
  sport: number;
  /** epoch ns just before and just after sendto() */
  t0: bigint;
  t1: bigint;
  payload: Buffer;
}

export interface SendOptions {
  count?: number;
  intervalS?: number;
  /** TTL / hop limit set on the socket */
  ttl: number;
  /** a new source port (a new flow) for every datagram */
  newFlow?: boolean;
}

/** Sends from inside network namespace `ns`; resolves once the sender has exited. */
export async function sendUdp(ns: string, family: 4 | 6, dst: string, port: number, marker: Buffer, opts: SendOptions): Promise<SentDatagram[]> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'python3', '-c', SENDER, String(family), dst, String(port),
    String(opts.count ?? 1), String(opts.intervalS ?? 0), String(opts.ttl), marker.toString('hex'), opts.newFlow ? '1' : '0'], { timeout: 60_000 });
  return stdout.trim().split('\n').map((line) => {
    const [sport, t0, t1, payload] = line.split(' ');
    return { sport: Number(sport), t0: BigInt(t0!), t1: BigInt(t1!), payload: Buffer.from(payload!, 'hex') };
  });
}
