// tcp-events.bpf.c on the real kernel: tp_btf programs attached, a real HTTP server in a network
// namespace, curl from the root namespace; the sockets' state changes come through the ring.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { forEachRecord } from './batch.js';
import { BpfError } from './errors.js';
import { openHandleCount, openHandles } from './handles.js';
import { BpfObject } from './object.js';
import {
  TCP_EVENTS_OBJECT_PATH, TCP_PORT_ON, TcpEventsMap, TcpEventsProgram, decodeTcpEvent, encodeTcpPortKey,
  readTcpEventsCounters, tcpStateName, type TcpEvent,
} from './tcp-events-abi.js';
import { createNetnsPair, curl, isRoot, startHttpServer, waitFor, type HttpServer, type NetnsPair } from './testing/netns.js';
import { kernelHasTracepoint } from './trace.js';

const root = !isRoot() && 'needs root (CAP_BPF + CAP_PERFMON)';

test('kernelHasTracepoint tells a real tracepoint from a made-up one', { skip: root }, () => {
  assert.equal(kernelHasTracepoint('inet_sock_set_state'), true);
  assert.equal(kernelHasTracepoint('clovisor_no_such_tracepoint'), false);
});

test('a program left out at load cannot be attached; the others can, and close() detaches them', { skip: root }, () => {
  const obj = BpfObject.open(TCP_EVENTS_OBJECT_PATH, { skipPrograms: ['tcp_retransmit'] });
  try {
    assert.throws(() => obj.attachTracing('tcp_retransmit'), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
    const link = obj.attachTracing('tcp_state_change');
    assert.equal(link.isAttached, true);
    assert.equal(openHandleCount(), 2);
    assert.equal(link.detach(), true);
    assert.equal(link.detach(), false, 'detach is idempotent');
    obj.attachTracing('tcp_state_change');
  } finally {
    obj.close();
  }
  assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
});

describe('tcp-events.bpf.c with a real connection', { skip: root }, () => {
  let pair: NetnsPair | undefined;
  let server: HttpServer | undefined;
  let obj: BpfObject | undefined;
  const events: TcpEvent[] = [];

  before(async () => {
    pair = await createNetnsPair();
    server = await startHttpServer(pair);
    obj = BpfObject.open(TCP_EVENTS_OBJECT_PATH);
    obj.map(TcpEventsMap.PORTS).update(encodeTcpPortKey(server.port), TCP_PORT_ON);
    for (const { program } of TcpEventsProgram) obj.attachTracing(program);
    obj.openRingReader(TcpEventsMap.EVENTS, (batch) => forEachRecord(batch, (rec) => events.push(decodeTcpEvent(rec))));
  });

  after(async () => {
    obj?.close();
    await server?.stop();
    await pair?.destroy();
    assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
  });

  test('client and server sockets report their state changes, with ports, addresses and netns', async () => {
    assert.equal(await curl(pair!.peerIp4, server!.port, '/'), 'hello\n');
    const port = server!.port;
    const client = () => events.filter((e) => e.kind === 'state' && e.rport === port && e.raddr === pair!.peerIp4);
    const serverSide = () => events.filter((e) => e.kind === 'state' && e.lport === port && e.laddr === pair!.peerIp4);
    await waitFor(() => client().some((e) => tcpStateName(e.newState) === 'CLOSE') && serverSide().some((e) => tcpStateName(e.newState) === 'CLOSE'), 5000, 'both sockets closed');

    const c = client();
    // connect() sets SYN_SENT before it picks the local port; the socket cookie ties them together
    assert.equal(c[0]!.lport, 0);
    const clientPort = c[1]!.lport;
    assert.ok(clientPort > 0);
    assert.ok(c.every((e) => e.sockCookie === c[0]!.sockCookie && e.laddr === pair!.hostIp4 && e.ipVersion === 4));
    assert.ok(c.slice(1).every((e) => e.lport === clientPort), 'every later event has the port, the last one too');
    // curl closes first: the active closer's path
    assert.deepEqual(c.map((e) => `${tcpStateName(e.oldState)}>${tcpStateName(e.newState)}`),
      ['CLOSE>SYN_SENT', 'SYN_SENT>ESTABLISHED', 'ESTABLISHED>FIN_WAIT1', 'FIN_WAIT1>FIN_WAIT2', 'FIN_WAIT2>CLOSE']);
    // the server listens on '::': its IPv4 connection is reported with IPv4 addresses, not v4-mapped
    const s = serverSide().filter((e) => e.rport === clientPort);
    assert.deepEqual(s.map((e) => `${tcpStateName(e.oldState)}>${tcpStateName(e.newState)}`),
      ['LISTEN>SYN_RECV', 'SYN_RECV>ESTABLISHED', 'ESTABLISHED>CLOSE_WAIT', 'CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSE']);
    assert.ok(s.every((e) => e.ipVersion === 4 && e.raddr === pair!.hostIp4 && e.sockCookie === s[0]!.sockCookie));
    assert.notEqual(s[0]!.sockCookie, c[0]!.sockCookie);

    // the client socket lives in the root namespace, the server's in the pair's namespace
    assert.equal(c[0]!.netnsIno, statSync('/proc/self/ns/net').ino);
    assert.equal(s[0]!.netnsIno, statSync(`/run/netns/${pair!.ns}`).ino);
    assert.ok(events.every((e) => e.lport === port || e.rport === port), 'only sockets of monitored ports');
    const counters = readTcpEventsCounters(obj!);
    assert.ok(counters.emitted >= BigInt(events.length));
    assert.equal(counters.lost, 0n);
  });

  test('IPv6 sockets carry their v6 addresses', async () => {
    await curl(pair!.peerIp6, server!.port, '/');
    await waitFor(() => events.some((e) => e.ipVersion === 6 && e.laddr === pair!.hostIp6 && e.raddr === pair!.peerIp6 && tcpStateName(e.newState) === 'CLOSE'), 5000, 'v6 client socket closed');
  });
});
