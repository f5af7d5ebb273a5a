// The kernel flow table on the real kernel: capture.bpf.c on a veth, a real HTTP server in a
// network namespace, real TCP/UDP clients in the root namespace; the sweeper in user space.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Socket, connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CAPTURE_OBJECT_PATH, CaptureMap, CaptureProgram, encodePortKey, encodeProtocolId } from './capture-abi.js';
import { readCaptureCounters } from './capture-counters.js';
import { encodeFlowKey } from './flow-abi.js';
import { FlowTableSweeper } from './flow-table.js';
import { openHandleCount, openHandles } from './handles.js';
import { BpfObject } from './object.js';
import { monotonicNs } from './system.js';
import { captureFixture, curl, isRoot, waitFor, type CaptureFixture, type HttpServer, type NetnsPair } from './testing/netns.js';

const TCP = 6;
const SYN = 0x02;

/** Opens a keep-alive HTTP connection, does one request, and leaves the connection open. */
async function openConnection(host: string, port: number): Promise<Socket> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => resolve());
  });
  const response = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.endsWith('hello\n')) resolve(text);
    });
  });
  socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  assert.match(await response, /^HTTP\/1\.1 200 OK/);
  return socket;
}

describe('kernel flow table', { skip: !isRoot() && 'needs root (CAP_BPF + CAP_NET_ADMIN)' }, () => {
  let pair: NetnsPair | undefined;
  let server: HttpServer | undefined;
  let obj: BpfObject | undefined;
  let fixture: CaptureFixture | undefined;

  before(async () => {
    fixture = await captureFixture();
    ({ pair, server, obj } = fixture);
  });

  after(async () => {
    await fixture?.close();
    assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
  });

  const keyOf = (s: Socket) =>
    encodeFlowKey({ ipVersion: 4, l4Proto: TCP, saddr: s.localAddress!, sport: s.localPort!, daddr: s.remoteAddress!, dport: s.remotePort! });

  test('an open connection has an entry: both directions counted, SYN seen, owned by the interface', async () => {
    const sweeper = new FlowTableSweeper(obj!, { idleTimeoutNs: 60_000_000_000n });
    const t0 = monotonicNs();
    const socket = await openConnection(pair!.peerIp4, server!.port);
    const key = keyOf(socket);
    try {
      const state = sweeper.lookup(key);
      assert.ok(state, 'entry for the connection');
      assert.equal(state.ifindex, pair!.ifindex);
      assert.equal(state.nodeIfindex, 0);
      assert.ok(state.firstNs >= t0 && state.lastNs >= state.firstNs && state.lastNs <= monotonicNs());
      // client 10.x.y.(c+1) sorts before server 10.x.y.(c+2): the client is endpoint a
      assert.ok(state.flags[0] & SYN, 'SYN from the client (a)');
      assert.ok(state.flags[1] & SYN, 'SYN-ACK from the server (b)');
      assert.ok(state.packets[0] >= 3n && state.packets[1] >= 2n, `packets ${state.packets}`);
      assert.equal(state.bytes[1] > 50n && state.bytes[0] > 20n, true, `bytes ${state.bytes}`);
    } finally {
      socket.destroy();
      // its close must not land in the next test's counts
      await waitFor(() => sweeper.lookup(key) === null, 3000, 'entry removed at the close');
    }
  });

  test('IPv6: the entry is keyed by the canonical IPv6 5-tuple and removed at the close', async () => {
    const sweeper = new FlowTableSweeper(obj!, { idleTimeoutNs: 60_000_000_000n });
    const socket = await openConnection(pair!.peerIp6, server!.port);
    const key = encodeFlowKey({ ipVersion: 6, l4Proto: TCP, saddr: socket.localAddress!, sport: socket.localPort!, daddr: socket.remoteAddress!, dport: socket.remotePort! });
    const state = sweeper.lookup(key);
    assert.ok(state, `entry for [${socket.localAddress}]:${socket.localPort} -> [${socket.remoteAddress}]:${socket.remotePort}`);
    assert.equal(state.ifindex, pair!.ifindex);
    assert.ok(state.bytes[0] > 0n && state.bytes[1] > 0n);
    socket.end();
    await waitFor(() => sweeper.lookup(key) === null, 3000, 'IPv6 entry removed after both FINs');
  });

  test('a connection closed with FIN is removed and counted', async () => {
    const sweeper = new FlowTableSweeper(obj!, { idleTimeoutNs: 60_000_000_000n });
    const before = readCaptureCounters(obj!);
    const socket = await openConnection(pair!.peerIp4, server!.port);
    const key = keyOf(socket);
    assert.ok(sweeper.lookup(key));
    socket.end(); // our FIN; the server answers with its own
    await waitFor(() => sweeper.lookup(key) === null, 3000, 'entry removed after both FINs');
    const c = readCaptureCounters(obj!);
    assert.equal(c.flowsClosedFin - before.flowsClosedFin, 1n);
    assert.equal(c.flowsClosedRst - before.flowsClosedRst, 0n);
    // curl: connection opened and closed by the client; its last ACK does not bring it back
    const n = readCaptureCounters(obj!).flowsCreated;
    assert.equal(await curl(pair!.peerIp4, server!.port, '/'), 'hello\n');
    await waitFor(() => readCaptureCounters(obj!).flowsClosedFin - c.flowsClosedFin === 1n, 3000, 'curl connection closed');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(readCaptureCounters(obj!).flowsCreated - n, 1n, 'one entry per connection');
  });

  test('a connection reset is removed and counted', async () => {
    const sweeper = new FlowTableSweeper(obj!, { idleTimeoutNs: 60_000_000_000n });
    const before = readCaptureCounters(obj!);
    const socket = await openConnection(pair!.peerIp4, server!.port);
    const key = keyOf(socket);
    assert.ok(sweeper.lookup(key));
    socket.resetAndDestroy();
    await waitFor(() => sweeper.lookup(key) === null, 3000, 'entry removed after the RST');
    assert.equal(readCaptureCounters(obj!).flowsClosedRst - before.flowsClosedRst, 1n);
  });

  test('idle entries are aged out by the sweeper after the timeout, and counted', async () => {
    const sweeper = new FlowTableSweeper(obj!, { idleTimeoutNs: 400_000_000n, batchSize: 7 });
    const sockets = await Promise.all([1, 2, 3].map(() => openConnection(pair!.peerIp4, server!.port)));
    try {
      const keys = sockets.map(keyOf);
      sweeper.sweepAll();
      assert.equal(sweeper.stats().aged, 0, 'nothing is idle yet');
      assert.ok(keys.every((k) => sweeper.lookup(k) !== null));
      await new Promise((r) => setTimeout(r, 600));
      // a fresh packet on one connection keeps it
      sockets[0]!.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => (sweeper.lookup(keys[0]!)?.lastNs ?? 0n) > monotonicNs() - 300_000_000n, 2000, 'refreshed entry');
      sweeper.sweepAll();
      const s = sweeper.stats();
      assert.equal(s.aged, 2);
      assert.equal(sweeper.lookup(keys[1]!), null);
      assert.equal(sweeper.lookup(keys[2]!), null);
      assert.ok(sweeper.lookup(keys[0]!), 'the active connection stays');
      assert.ok(s.live >= 1);
      assert.equal(s.evictedLru, 0n, 'nothing evicted from a roomy table');
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  test('LRU evictions of a full table are counted', async (t) => {
    const size = 64;
    const flowsToCreate = 400;
    const small = BpfObject.open(CAPTURE_OBJECT_PATH, { maxEntries: { [CaptureMap.FLOWS]: size } });
    try {
      assert.equal(small.map(CaptureMap.FLOWS).maxEntries, size);
      const udpPort = server!.port + 1;
      small.map(CaptureMap.PORTS).update(encodePortKey(pair!.ifindex, udpPort), encodeProtocolId(2));
      small.attachTc(CaptureProgram.EGRESS, pair!.ifindex, 'egress', { priority: 0x10 });
      const sweeper = new FlowTableSweeper(small, { idleTimeoutNs: 60_000_000_000n, batchSize: 16 });
      // one datagram from each of `flowsToCreate` source ports: as many distinct flows (nobody listens)
      const firstPort = 41_000 + Math.floor(Math.random() * 20_000);
      for (let i = 0; i < flowsToCreate; i++) {
        const sock = createSocket('udp4');
        await new Promise<void>((resolve) => sock.bind(firstPort + i, () => resolve()));
        await new Promise<void>((resolve, reject) => sock.send(`flow ${i}`, udpPort, pair!.peerIp4, (err) => (err ? reject(err) : resolve())));
        sock.close();
      }
      await waitFor(() => readCaptureCounters(small).flowsCreated >= BigInt(flowsToCreate), 3000, `${flowsToCreate} inserts (got ${readCaptureCounters(small).flowsCreated})`);
      sweeper.sweepAll();
      const s = sweeper.stats();
      t.diagnostic(`table ${size}: created ${s.created}, live ${s.live}, evicted ${s.evictedLru}, insert failures ${s.insertFailed}`);
      assert.equal(s.insertFailed, 0n);
      assert.ok(s.live > 0 && s.live <= size, `live ${s.live}`);
      // the table was quiet during the pass, so the count is exact: every insert is live or evicted
      assert.equal(s.evictedLru + BigInt(s.live), BigInt(flowsToCreate));
      assert.ok(s.evictedLru >= BigInt(flowsToCreate - size));
      // one more quiet pass changes nothing
      sweeper.sweepAll();
      assert.equal(sweeper.stats().evictedLru, s.evictedLru);
      // batches of 1 entry: buckets holding several entries are read whole (ENOSPC retried)
      const tiny = new FlowTableSweeper(small, { idleTimeoutNs: 60_000_000_000n, batchSize: 1 });
      tiny.sweepAll();
      assert.equal(tiny.stats().live, s.live);
    } finally {
      small.close();
    }
  });

  test('under churn the eviction count is a lower bound that never overcounts, exact once quiet', async (t) => {
    const size = 64;
    const flowsToCreate = 600;
    const small = BpfObject.open(CAPTURE_OBJECT_PATH, { maxEntries: { [CaptureMap.FLOWS]: size } });
    try {
      const udpPort = server!.port + 3;
      small.map(CaptureMap.PORTS).update(encodePortKey(pair!.ifindex, udpPort), encodeProtocolId(2));
      small.attachTc(CaptureProgram.EGRESS, pair!.ifindex, 'egress', { priority: 0x11 });
      // a long idle timeout: nothing ages out, so every entry that leaves was evicted
      const sweeper = new FlowTableSweeper(small, { idleTimeoutNs: 60_000_000_000n, batchSize: 8 });
      const readings: bigint[] = [];
      const firstPort = 41_000 + Math.floor(Math.random() * 20_000);
      for (let i = 0; i < flowsToCreate; i++) {
        const sock = createSocket('udp4');
        await new Promise<void>((resolve) => sock.bind(firstPort + i, () => resolve()));
        await new Promise<void>((resolve, reject) => sock.send('x', udpPort, pair!.peerIp4, (err) => (err ? reject(err) : resolve())));
        sock.close();
        sweeper.tick(); // the sweep runs while flows are being created
        const s = sweeper.stats();
        // at any moment: evicted so far <= inserted so far - entries still there
        const present = small.map(CaptureMap.FLOWS).keys().length;
        assert.ok(s.evictedLru <= s.created - BigInt(present), `reading ${s.evictedLru} overcounts (created ${s.created}, present ${present})`);
        readings.push(s.evictedLru);
      }
      await waitFor(() => readCaptureCounters(small).flowsCreated >= BigInt(flowsToCreate), 3000, 'all inserts');
      sweeper.sweepAll();
      const s = sweeper.stats();
      t.diagnostic(`during churn: ${readings.at(-1)} evictions counted of ${s.evictedLru}; passes ${s.passes}`);
      assert.equal(s.evictedLru + BigInt(s.live), BigInt(flowsToCreate), 'exact after a quiet pass');
      assert.ok(readings.every((r, i) => i === 0 || r >= readings[i - 1]!), 'monotonic');
      assert.ok(readings.at(-1)! > 0n, 'evictions were already counted while the churn went on');
    } finally {
      small.close();
    }
  });

  test('forgetInterface() and forgetWhere() delete the selected entries and count them', async () => {
    const sweeper = new FlowTableSweeper(obj!, { idleTimeoutNs: 60_000_000_000n });
    const socket = await openConnection(pair!.peerIp4, server!.port);
    try {
      assert.ok(sweeper.forgetInterface(pair!.ifindex) >= 1);
      assert.equal(sweeper.lookup(keyOf(socket)), null);
      assert.equal(sweeper.forgetInterface(pair!.ifindex), 0);
      assert.ok(sweeper.stats().purged >= 1);
      // by port: a port no longer configured
      const again = await openConnection(pair!.peerIp4, server!.port);
      try {
        assert.ok(sweeper.lookup(keyOf(again)));
        assert.equal(sweeper.forgetWhere((k) => k.b.port === server!.port + 1000 || k.a.port === server!.port + 1000), 0);
        assert.ok(sweeper.forgetWhere((k) => k.a.port === server!.port || k.b.port === server!.port) >= 1);
        assert.equal(sweeper.lookup(keyOf(again)), null);
      } finally {
        again.destroy();
      }
    } finally {
      socket.destroy();
    }
  });
});

