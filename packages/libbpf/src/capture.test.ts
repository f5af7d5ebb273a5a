// End to end on the real kernel: capture.bpf.c on both tc hooks of a veth, a real HTTP server in
// a network namespace, curl from the root namespace, events through the native ring reader.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { forEachRecord } from './batch.js';
import {
  CAPTURE_OBJECT_PATH,
  CaptureMap,
  CaptureProgram,
  decodeCaptureEvent,
  encodeCaptureConfig,
  encodePortKey,
  encodeProtocolId,
  u32Key,
  type CaptureEvent,
} from './capture-abi.js';
import { readCaptureCounters } from './capture-counters.js';
import { openHandleCount, openHandles } from './handles.js';
import { BpfObject } from './object.js';
import type { RingReader } from './ring.js';
import { monotonicNs } from './system.js';
import { BIG_BODY_BYTES, captureFixture, curl, isRoot, run, waitFor, type CaptureFixture, type HttpServer, type NetnsPair } from './testing/netns.js';

const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const ACK = 0x10;

describe('capture.bpf.c on a veth', { skip: !isRoot() && 'needs root (CAP_BPF + CAP_NET_ADMIN)' }, () => {
  let pair: NetnsPair | undefined;
  let server: HttpServer | undefined;
  let obj: BpfObject | undefined;
  let fixture: CaptureFixture | undefined;
  let reader: RingReader | undefined;
  const events: CaptureEvent[] = [];

  before(async () => {
    fixture = await captureFixture();
    ({ pair, server, obj } = fixture);
    reader = fixture.obj.openRingReader(CaptureMap.EVENTS, (batch, count) => {
      const n = forEachRecord(batch, (rec) => events.push(decodeCaptureEvent(rec)));
      assert.equal(n, count, 'batch count matches its frames');
    });
  });

  after(async () => {
    await fixture?.close();
    assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
  });

  /** Runs one curl and returns the events of that connection once both FINs were seen. */
  async function request(host: string, path: string): Promise<{ body: string; conn: CaptureEvent[]; t0: bigint; t1: bigint }> {
    const start = events.length;
    const t0 = monotonicNs();
    const body = await curl(host, server!.port, path);
    let conn: CaptureEvent[] = [];
    await waitFor(() => {
      const syn = events.slice(start).find((e) => e.hook === 'egress' && e.tcpFlags === SYN && e.dport === server!.port);
      if (!syn) return false;
      conn = events.slice(start).filter((e) => (e.hook === 'egress' ? e.sport : e.dport) === syn.sport);
      return conn.some((e) => e.hook === 'egress' && e.tcpFlags & FIN) && conn.some((e) => e.hook === 'ingress' && e.tcpFlags & FIN);
    }, 5000, `SYN and both FINs of a request to ${host}`);
    return { body, conn, t0, t1: monotonicNs() };
  }

  function assertConnection(conn: CaptureEvent[], client: string, srv: string, ipVersion: 4 | 6, t0: bigint, t1: bigint): void {
    const port = server!.port;
    for (const e of conn) {
      assert.equal(e.ifindex, pair!.ifindex);
      assert.equal(e.ipVersion, ipVersion);
      assert.equal(e.l4Proto, 6);
      assert.ok(e.tsNs >= t0 && e.tsNs <= t1, `timestamp ${e.tsNs} within the request window`);
      assert.ok(e.capLen > 0 || (e.tcpFlags & (SYN | FIN | RST)) !== 0, `no pure ACK events (flags 0x${e.tcpFlags.toString(16)})`);
      if (e.hook === 'egress') {
        assert.deepEqual([e.saddr, e.daddr, e.dport], [client, srv, port]);
      } else {
        assert.deepEqual([e.saddr, e.daddr, e.sport], [srv, client, port]);
      }
    }
    const syn = conn.find((e) => e.hook === 'egress' && e.tcpFlags === SYN)!;
    const synAck = conn.find((e) => e.hook === 'ingress' && e.tcpFlags === (SYN | ACK));
    assert.ok(synAck, 'SYN-ACK seen on ingress');
    assert.equal(synAck.ack, (syn.seq + 1) >>> 0, 'SYN-ACK acknowledges our SYN');
    const req = conn.find((e) => e.hook === 'egress' && e.capLen > 0);
    assert.ok(req, 'request payload seen on egress');
    assert.equal(req.payload.subarray(0, 6).toString('latin1'), 'GET / ');
    assert.equal(req.seq, (syn.seq + 1) >>> 0, 'request starts right after the SYN');
    assert.equal(req.wireLen, req.capLen);
    const resp = conn.find((e) => e.hook === 'ingress' && e.capLen > 0);
    assert.ok(resp, 'response payload seen on ingress');
    assert.match(resp.payload.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello\n$/);
    assert.equal(resp.seq, (synAck.seq + 1) >>> 0);
    assert.equal(resp.ack, (req.seq + req.wireLen) >>> 0, 'response acknowledges the whole request');
  }

  test('IPv4 HTTP exchange: addresses, ports, seq/ack, payload, SYN/FIN, both hooks, counters', async () => {
    const before = readCaptureCounters(obj!);
    const { body, conn, t0, t1 } = await request(pair!.peerIp4, '/');
    assert.equal(body, 'hello\n');
    assertConnection(conn, pair!.hostIp4, pair!.peerIp4, 4, t0, t1);
    assert.ok(conn.some((e) => e.hook === 'ingress') && conn.some((e) => e.hook === 'egress'));

    const c = readCaptureCounters(obj!);
    const emitted = c.emitted - before.emitted;
    assert.ok(emitted >= BigInt(conn.length), `emitted counter (${emitted}) covers the ${conn.length} events`);
    // The handshake's final ACK and others were matched but not copied.
    assert.ok(c.matched - before.matched > emitted, 'pure ACKs are matched but not emitted');
    const bytes = conn.reduce((n, e) => n + e.capLen, 0);
    assert.ok(c.payloadBytes - before.payloadBytes >= BigInt(bytes));
    assert.equal(c.lost, 0n);
    assert.equal(c.truncated - before.truncated, 0n, 'small exchange is not truncated');
    const s = reader!.stats();
    assert.ok(s.records >= events.length && s.batches > 0);
    assert.equal(s.droppedRecords, 0);
  });

  test('IPv6 HTTP exchange', async () => {
    const { body, conn, t0, t1 } = await request(pair!.peerIp6, '/');
    assert.equal(body, 'hello\n');
    assertConnection(conn, pair!.hostIp6, pair!.peerIp6, 6, t0, t1);
  });

  test('large response is cut at the snaplen and counted as truncated', async (t) => {
    const config = obj!.map(CaptureMap.CONFIG);
    config.update(u32Key(0), encodeCaptureConfig({ snaplen: 512 }));
    try {
      const before = readCaptureCounters(obj!);
      const { body, conn } = await request(pair!.peerIp4, '/big');
      assert.equal(body.length, BIG_BODY_BYTES);
      const data = conn.filter((e) => e.hook === 'ingress' && e.wireLen > 0);
      const truncated = data.filter((e) => e.wireLen > e.capLen);
      assert.ok(truncated.length > 0, 'some response segments were truncated');
      for (const e of data) assert.ok(e.capLen <= 512 && e.capLen === Math.min(e.wireLen, 512));
      const wire = data.reduce((n, e) => n + e.wireLen, 0);
      assert.ok(wire >= BIG_BODY_BYTES, `wire bytes ${wire} cover the body`);
      const c = readCaptureCounters(obj!);
      assert.ok(c.truncated - before.truncated >= BigInt(truncated.length));
      t.diagnostic(`big response: ${data.length} data events, max wire_len ${Math.max(...data.map((e) => e.wireLen))}`);
    } finally {
      config.update(u32Key(0), encodeCaptureConfig({ snaplen: 0 }));
    }
  });

  test('default snaplen (config 0) is 4096', async () => {
    const { conn } = await request(pair!.peerIp4, '/big');
    const data = conn.filter((e) => e.hook === 'ingress' && e.wireLen > 0);
    assert.ok(data.some((e) => e.wireLen > 4096), 'GSO/TSO gives segments longer than 4096 on veth');
    for (const e of data) assert.equal(e.capLen, Math.min(e.wireLen, 4096));
  });

  test('returns TC_ACT_UNSPEC: filters later in the chain still see the packets', async () => {
    // A second copy sits *ahead* of ours (lower priority number). Had it ended classification
    // with TC_ACT_OK, ours (behind it) would see nothing and request() would time out.
    const front = BpfObject.open(CAPTURE_OBJECT_PATH);
    try {
      front.map(CaptureMap.PORTS).update(encodePortKey(0, server!.port), encodeProtocolId(1));
      front.attachTc(CaptureProgram.EGRESS, pair!.ifindex, 'egress', { priority: 0x10 });
      front.attachTc(CaptureProgram.INGRESS, pair!.ifindex, 'ingress', { priority: 0x10 });
      const { conn } = await request(pair!.peerIp4, '/');
      assert.ok(conn.length >= 5);
      assert.ok(readCaptureCounters(front).emitted >= BigInt(conn.length), 'the front filter captured too');
    } finally {
      front.close();
    }
  });

  test('UDP datagrams to a monitored port are copied', async () => {
    const ports = obj!.map(CaptureMap.PORTS);
    const udpPort = server!.port + 1;
    const key = encodePortKey(pair!.ifindex, udpPort);
    ports.update(key, encodeProtocolId(2));
    try {
      const start = events.length;
      // Nobody listens: the datagram still crosses egress (the ICMP reply is not UDP).
      await run('bash', ['-c', `printf 'hello udp' > /dev/udp/${pair!.peerIp4}/${udpPort}`]);
      await waitFor(() => events.slice(start).some((e) => e.l4Proto === 17), 3000, 'a UDP event');
      const e = events.slice(start).find((x) => x.l4Proto === 17)!;
      assert.deepEqual(
        [e.hook, e.saddr, e.daddr, e.dport, e.tcpFlags, e.seq, e.ack, e.wireLen, e.payload.toString()],
        ['egress', pair!.hostIp4, pair!.peerIp4, udpPort, 0, 0, 0, 9, 'hello udp'],
      );
    } finally {
      ports.delete(key);
    }
  });

  test('IPv4 options are skipped by the header length: payload and wire length stay exact', async () => {
    // A real client whose packets carry a Record Route option (12 bytes of IP options).
    const script = `import socket
s=socket.socket()
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([7, 11, 4] + [0] * 8 + [0]))
assert len(s.getsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, 40)) == 12
s.connect(("${pair!.peerIp4}", ${server!.port}))
print(s.getsockname()[1], flush=True)
s.sendall(b"GET /opts HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
d=b""
while True:
    c=s.recv(4096)
    if not c: break
    d+=c
assert d.startswith(b"HTTP/1.1 200"), d`;
    const start = events.length;
    const sport = Number((await run('python3', ['-c', script])).trim());
    await waitFor(() => events.slice(start).some((e) => e.sport === sport && e.capLen > 0), 3000, 'the request with IP options');
    const req = events.slice(start).find((e) => e.sport === sport && e.capLen > 0)!;
    const sent = 'GET /opts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    assert.equal(req.payload.toString('latin1'), sent);
    assert.equal(req.wireLen, sent.length);
    assert.equal(req.daddr, pair!.peerIp4);
    // let the connection's FINs arrive before the next test counts events
    await waitFor(() => events.slice(start).filter((e) => (e.sport === sport || e.dport === sport) && e.tcpFlags & FIN).length >= 2, 3000, 'both FINs');
  });

  test('802.1Q VLAN: a tag in the packet data is skipped; the packet is parsed behind it', async () => {
    // This kernel has no 8021q module (no vlan devices), and the stack moves received tags into
    // skb metadata before tc anyway. A tag *in the data* reaches tc egress when a frame is sent
    // as written: a real AF_PACKET socket sends a tagged IPv4/UDP frame out of the veth.
    const udpPort = server!.port + 2;
    const ports = obj!.map(CaptureMap.PORTS);
    const key = encodePortKey(pair!.ifindex, udpPort);
    ports.update(key, encodeProtocolId(2));
    const script = `import socket, struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
src, dst = socket.inet_aton("${pair!.hostIp4}"), socket.inet_aton("${pair!.peerIp4}")
payload = b"tagged udp!!"
udp = struct.pack("!HHHH", 40001, ${udpPort}, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
mac = lambda n: bytes.fromhex(open("/sys/class/net/%s/address" % n).read().strip().replace(":", ""))
tag = struct.pack("!HH", 0x8100, 100)
frame = b"\\xff" * 6 + mac("${pair!.hostIf}") + tag + struct.pack("!H", 0x0800) + ip + udp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("${pair!.hostIf}", 0))
s.send(frame)
# the same inside an 802.1ad outer tag (QinQ), from port 40002: two tags in the data are not
# parsed (documented limit); were the tags moved to metadata on the way, this one would be
s.send(frame[:12] + struct.pack("!HH", 0x88a8, 200) + frame[12:38] + struct.pack("!H", 40002) + frame[40:])`;
    try {
      const start = events.length;
      await run('python3', ['-c', script]);
      await waitFor(() => events.slice(start).some((e) => e.dport === udpPort), 3000, 'the tagged datagram');
      const e = events.slice(start).find((x) => x.dport === udpPort)!;
      assert.deepEqual(
        [e.hook, e.ipVersion, e.l4Proto, e.saddr, e.daddr, e.sport, e.wireLen, e.payload.toString('latin1')],
        ['egress', 4, 17, pair!.hostIp4, pair!.peerIp4, 40001, 12, 'tagged udp!!'],
      );
      await new Promise((r) => setTimeout(r, 300)); // longer than a ring poll period
      assert.equal(events.slice(start).filter((x) => x.dport === udpPort).length, 1, 'the double-tagged frame is not parsed: tags stay in the data');
    } finally {
      ports.delete(key);
    }
  });

  test('only monitored ports are copied; ifindex 0 matches any interface', async () => {
    const ports = obj!.map(CaptureMap.PORTS);
    const own = encodePortKey(pair!.ifindex, server!.port);
    const any = encodePortKey(0, server!.port);
    assert.equal(ports.delete(own), true);
    try {
      const before = readCaptureCounters(obj!);
      const n = events.length;
      assert.equal(await curl(pair!.peerIp4, server!.port, '/'), 'hello\n');
      await new Promise((r) => setTimeout(r, 300)); // longer than a poll period
      assert.equal(events.length, n, 'no events for an unmonitored port');
      assert.equal(readCaptureCounters(obj!).matched, before.matched);

      ports.update(any, encodeProtocolId(7));
      const { conn } = await request(pair!.peerIp4, '/');
      assert.ok(conn.length >= 5);
    } finally {
      ports.delete(any);
      ports.update(own, encodeProtocolId(1));
    }
  });
});
