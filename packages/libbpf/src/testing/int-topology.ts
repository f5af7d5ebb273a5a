// Test support for the INT tests: a "node" (the root namespace) with two dual-stack pods (each a
// namespace joined by a veth whose host side stays in the root namespace, forwarding through it)
// and a "node NIC" (a veth whose peer namespace plays the outside world, with a remote address
// behind it reached through a test route). All addresses are random within 10.x and
// fd00:c11::/32, and traffic never leaves these namespaces.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ifindexOf } from '../system.js';
import { run } from './netns.js';

export interface IntHost {
  /** namespace */
  ns: string;
  /** its root-namespace interface (host-side veth, or the node NIC) */
  hostIf: string;
  ifindex: number;
  /** the address traffic is sent to / from */
  ip4: string;
  ip6: string;
  /** MAC of the namespace side of its veth */
  peerMac: string;
}

export interface IntTopology {
  podA: IntHost;
  podB: IntHost;
  /** the outside world behind the node NIC (hostIf = the NIC); ip4/ip6 are behind a test route */
  remote: IntHost;
  /** an IPv4 address of the topology's range that nothing uses (a "Service" address in tests) */
  spare4: string;
  destroy(): Promise<void>;
}

function forwardOn(ifname: string): void {
  writeFileSync(`/proc/sys/net/ipv4/conf/${ifname}/forwarding`, '1');
  // IPv6 forwarding per interface (Linux 6.17+): the machine's global switch is left alone
  writeFileSync(`/proc/sys/net/ipv6/conf/${ifname}/force_forwarding`, '1');
}

/** Random names (prefix clvi) and random subnets; destroy() removes everything. */
export async function createIntTopology(): Promise<IntTopology> {
  const id = randomBytes(3).toString('hex');
  const a = randomInt(64, 128);
  const b = randomInt(0, 256);
  const g = randomBytes(2).readUInt16BE(0).toString(16);
  const names: string[] = [];
  const links: string[] = [];
  const destroy = async (): Promise<void> => {
    for (const l of links) await run('ip', ['link', 'del', l]).catch(() => undefined);
    for (const n of names) await run('ip', ['netns', 'del', n]).catch(() => undefined);
  };
  // subnet i: 10.a.b.(16i)/28 and fd00:c11:g:i::/64; host side .1 / ::1, namespace side .2 / ::2
  const host = async (i: number, tag: string): Promise<{ ns: string; hostIf: string; peerIf: string; peerMac: string }> => {
    const ns = `clvi${id}${tag}`;
    const hostIf = `clvi${id}${tag}h`;
    const peerIf = `clvi${id}${tag}p`;
    await run('ip', ['netns', 'add', ns]);
    names.push(ns);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', ns]);
    links.push(hostIf);
    await run('ip', ['addr', 'add', `10.${a}.${b}.${16 * i + 1}/28`, 'dev', hostIf]);
    await run('ip', ['-6', 'addr', 'add', `fd00:c11:${g}:${i}::1/64`, 'dev', hostIf, 'nodad']);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `10.${a}.${b}.${16 * i + 2}/28`, 'dev', peerIf]);
    await run('ip', ['-n', ns, '-6', 'addr', 'add', `fd00:c11:${g}:${i}::2/64`, 'dev', peerIf, 'nodad']);
    await run('ip', ['-n', ns, 'link', 'set', peerIf, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', `10.${a}.${b}.${16 * i + 1}`]);
    await run('ip', ['-n', ns, '-6', 'route', 'add', 'default', 'via', `fd00:c11:${g}:${i}::1`]);
    forwardOn(hostIf);
    // static neighbours both ways: no ARP/NDP round (a first packet can wait a second for it)
    const hostMac = readFileSync(`/sys/class/net/${hostIf}/address`, 'utf8').trim();
    const peerMac = (await run('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${peerIf}/address`])).trim();
    await run('ip', ['neigh', 'replace', `10.${a}.${b}.${16 * i + 2}`, 'lladdr', peerMac, 'dev', hostIf, 'nud', 'permanent']);
    await run('ip', ['-6', 'neigh', 'replace', `fd00:c11:${g}:${i}::2`, 'lladdr', peerMac, 'dev', hostIf, 'nud', 'permanent']);
    await run('ip', ['-n', ns, 'neigh', 'replace', `10.${a}.${b}.${16 * i + 1}`, 'lladdr', hostMac, 'dev', peerIf, 'nud', 'permanent']);
    await run('ip', ['-n', ns, '-6', 'neigh', 'replace', `fd00:c11:${g}:${i}::1`, 'lladdr', hostMac, 'dev', peerIf, 'nud', 'permanent']);
    return { ns, hostIf, peerIf, peerMac };
  };
  try {
    const pa = await host(1, 'a');
    const pb = await host(2, 'b');
    const nic = await host(3, 'n');
    // the outside world: an address on the far side's loopback, reached through a test route
    const remote4 = `10.${a}.${b}.${16 * 4 + 9}`;
    const remote6 = `fd00:c11:${g}:4::9`;
    await run('ip', ['-n', nic.ns, 'addr', 'add', `${remote4}/32`, 'dev', 'lo']);
    await run('ip', ['-n', nic.ns, '-6', 'addr', 'add', `${remote6}/128`, 'dev', 'lo', 'nodad']);
    await run('ip', ['route', 'add', `${remote4}/32`, 'via', `10.${a}.${b}.${16 * 3 + 2}`, 'dev', nic.hostIf]);
    await run('ip', ['-6', 'route', 'add', `${remote6}/128`, 'via', `fd00:c11:${g}:3::2`, 'dev', nic.hostIf]);
    const mk = (h: { ns: string; hostIf: string; peerMac: string }, i: number): IntHost => ({
      ns: h.ns, hostIf: h.hostIf, ifindex: ifindexOf(h.hostIf), ip4: `10.${a}.${b}.${16 * i + 2}`, ip6: `fd00:c11:${g}:${i}::2`, peerMac: h.peerMac,
    });
    return {
      podA: mk(pa, 1),
      podB: mk(pb, 2),
      remote: { ...mk(nic, 3), ip4: remote4, ip6: remote6 },
      spare4: `10.${a}.${b}.${16 * 5 + 5}`,
      destroy, // the routes go with the NIC
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}

// UDP sender: argv = family dst port count interval_s ttl payload_hex. Sends `count` datagrams of
// payload (with the sequence number appended) and exits.
const UDP_SEND = `
import socket, sys, time
fam, dst, port, count, interval, ttl, payload = sys.argv[1:8]
af = socket.AF_INET if fam == '4' else socket.AF_INET6
s = socket.socket(af, socket.SOCK_DGRAM)
if int(ttl) > 0:
    if fam == '4': s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(ttl))
    else: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, int(ttl))
s.bind(('0.0.0.0' if fam == '4' else '::', 0))
print(s.getsockname()[1], flush=True)
for i in range(int(count)):
    s.sendto(bytes.fromhex(payload) + b'#%06d' % i, (dst, int(port)))
    if float(interval) > 0: time.sleep(float(interval))
`;

// UDP sink: argv = family port; prints "ready", then one line per datagram received.
const UDP_SINK = `
import socket, sys
fam, port = sys.argv[1:3]
s = socket.socket(socket.AF_INET if fam == '4' else socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('0.0.0.0' if fam == '4' else '::', int(port)))
print('ready', flush=True)
while True:
    d, a = s.recvfrom(65535)
    print(len(d), flush=True)
`;

export interface UdpSendOptions {
  count?: number;
  intervalS?: number;
  /** IP TTL / IPv6 hop limit; 0 = the default */
  ttl?: number;
}

/** Sends datagrams from inside `ns`; resolves with the sender's source port once it exits. */
export async function udpSend(ns: string, family: 4 | 6, dst: string, port: number, payload: Buffer, opts: UdpSendOptions = {}): Promise<number> {
  const out = await run('ip', ['netns', 'exec', ns, 'python3', '-c', UDP_SEND, String(family), dst, String(port),
    String(opts.count ?? 1), String(opts.intervalS ?? 0), String(opts.ttl ?? 0), payload.toString('hex')], 120_000);
  return Number(out.trim().split('\n')[0]);
}

export interface UdpSink {
  received(): number;
  stop(): Promise<void>;
}

export async function udpSink(ns: string, family: 4 | 6, port: number): Promise<UdpSink> {
  return startLineServer(ns, ['python3', '-c', UDP_SINK, String(family), String(port)]);
}

// Dual-stack HTTP server: "/" -> "hello\n". Prints "ready" once listening.
const HTTP_SERVER = `
require('node:http').createServer((req, res) => res.end('hello\\n')).listen(Number(process.argv[1]), '::', () => console.log('ready'));
`;

export async function httpServer(ns: string, port: number): Promise<UdpSink> {
  return startLineServer(ns, [process.execPath, '-e', HTTP_SERVER, String(port)]);
}

/** curl from inside a namespace; returns the body. */
export async function curlFrom(ns: string, host: string, port: number): Promise<string> {
  const h = host.includes(':') ? `[${host}]` : host;
  return run('ip', ['netns', 'exec', ns, 'curl', '-sS', '-g', '--max-time', '10', `http://${h}:${port}/`]);
}

// A packet socket (what tcpdump opens) on one interface of the root namespace that never reads:
// every frame it sees is cloned into its queue, so the stack's skb is a clone from then on.
const PACKET_TAP = `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind((sys.argv[1], 0))
print('ready', flush=True)
while True: time.sleep(3600)
`;

/** Opens a packet socket (ETH_P_ALL) on `ifname` in the root namespace until stop(). */
export async function packetTap(ifname: string): Promise<UdpSink> {
  return startLineServer(null, ['python3', '-c', PACKET_TAP, ifname]);
}

/** `ns` null = the root namespace. */
async function startLineServer(ns: string | null, cmd: string[]): Promise<UdpSink> {
  const argv = ns === null ? cmd : ['ip', 'netns', 'exec', ns, ...cmd];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let lines = 0;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`${cmd[0]} in ${ns ?? 'the root namespace'} not ready after 10 s: ${err}`)), 10_000);
      child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      let ready = false;
      child.stdout!.on('data', (d: Buffer) => {
        for (const l of d.toString().split('\n')) {
          if (l === 'ready' && !ready) { ready = true; clearTimeout(timer); resolve(); } else if (l.length > 0 && ready) lines++;
        }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd[0]} in ${ns ?? 'the root namespace'} exited (${code}): ${err}`)); });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { received: () => lines, stop };
}
