// Node-interface tracing on the real kernel. Topology: a "pod" namespace and an "outside host"
// namespace, each joined to the root namespace (the node) by a veth; the node routes between
// them. The pod's host-side veth gets the pod programs; the outside host's veth plays the node
// NIC and gets the node programs. A real curl in the pod talks to a real HTTP server outside.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { forEachRecord } from './batch.js';
import { CAPTURE_OBJECT_PATH, CaptureMap, CaptureProgram, decodeCaptureEvent, encodePortKey, encodeProtocolId, type CaptureEvent } from './capture-abi.js';
import { readCaptureCounters } from './capture-counters.js';
import { encodeFlowKey } from './flow-abi.js';
import { FlowTableSweeper } from './flow-table.js';
import { openHandleCount, openHandles } from './handles.js';
import { BpfObject } from './object.js';
import { createNetnsPair, curl, isRoot, run, startHttpServer, waitFor, type HttpServer, type NetnsPair } from './testing/netns.js';

const SYN = 0x02;
const FIN = 0x01;

describe('node-interface tracing', { skip: !isRoot() && 'needs root (CAP_BPF + CAP_NET_ADMIN)' }, () => {
  let pod: NetnsPair | undefined;
  let outside: NetnsPair | undefined;
  let server: HttpServer | undefined;
  let obj: BpfObject | undefined;
  const events: CaptureEvent[] = [];

  before(async () => {
    pod = await createNetnsPair();
    outside = await createNetnsPair();
    // the node forwards between the two veths only (the global ip_forward is left alone)
    for (const p of [pod, outside]) writeFileSync(`/proc/sys/net/ipv4/conf/${p.hostIf}/forwarding`, '1');
    await run('ip', ['-n', pod.ns, 'route', 'add', `${outside.peerIp4}/32`, 'via', pod.hostIp4]);
    await run('ip', ['-n', outside.ns, 'route', 'add', `${pod.peerIp4}/32`, 'via', outside.hostIp4]);
    server = await startHttpServer(outside);
    obj = BpfObject.open(CAPTURE_OBJECT_PATH);
    obj.map(CaptureMap.PORTS).update(encodePortKey(pod.ifindex, server.port), encodeProtocolId(1));
    obj.attachTc(CaptureProgram.INGRESS, pod.ifindex, 'ingress');
    obj.attachTc(CaptureProgram.EGRESS, pod.ifindex, 'egress');
    obj.attachTc(CaptureProgram.NODE_INGRESS, outside.ifindex, 'ingress');
    obj.attachTc(CaptureProgram.NODE_EGRESS, outside.ifindex, 'egress');
    obj.openRingReader(CaptureMap.EVENTS, (batch) => forEachRecord(batch, (rec) => events.push(decodeCaptureEvent(rec))));
  });

  after(async () => {
    obj?.close();
    await server?.stop();
    await pod?.destroy();
    await outside?.destroy();
    assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
  });

  test("a pod's request out and response in through the node NIC are timed on the same flow", async (t) => {
    const start = events.length;
    const before = readCaptureCounters(obj!);
    const url = `http://${outside!.peerIp4}:${server!.port}/`;
    const body = await run('ip', ['netns', 'exec', pod!.ns, 'curl', '-sS', '--max-time', '10', url]);
    assert.equal(body, 'hello\n');
    const conn = () => events.slice(start).filter((e) => e.dport === server!.port || e.sport === server!.port);
    await waitFor(() => conn().filter((e) => e.tcpFlags & FIN).length >= 4, 5000, 'both FINs on both interfaces');
    const all = conn();
    const podReq = all.find((e) => e.point === 'pod' && e.hook === 'ingress' && e.capLen > 0);
    const podResp = all.find((e) => e.point === 'pod' && e.hook === 'egress' && e.wireLen > 0);
    const nodeReq = all.find((e) => e.point === 'node' && e.hook === 'egress' && e.wireLen > 0);
    const nodeResp = all.find((e) => e.point === 'node' && e.hook === 'ingress' && e.wireLen > 0);
    assert.ok(podReq && podResp && nodeReq && nodeResp, 'request and response seen on both interfaces');
    assert.match(podReq.payload.toString('latin1'), /^GET \/ HTTP/);
    for (const e of all.filter((x) => x.point === 'node')) {
      assert.equal(e.ifindex, outside!.ifindex);
      assert.equal(e.capLen, 0, 'node events carry no payload');
    }
    for (const e of all.filter((x) => x.point === 'pod')) assert.equal(e.ifindex, pod!.ifindex);
    assert.deepEqual([nodeReq.seq, nodeReq.wireLen, nodeReq.saddr, nodeReq.sport], [podReq.seq, podReq.wireLen, podReq.saddr, podReq.sport], 'same request segment');
    assert.deepEqual([nodeResp.seq, nodeResp.wireLen], [podResp.seq, podResp.wireLen], 'same response segment');
    assert.ok(podReq.tsNs <= nodeReq.tsNs, 'request leaves the pod before the node');
    assert.ok(nodeReq.tsNs <= nodeResp.tsNs, 'request out before response in');
    assert.ok(nodeResp.tsNs <= podResp.tsNs, 'response reaches the node before the pod');
    assert.ok(all.some((e) => e.point === 'node' && e.tcpFlags === SYN), 'the SYN crossed the node NIC too');
    t.diagnostic(`pod→node ${nodeReq.tsNs - podReq.tsNs} ns, node round trip ${nodeResp.tsNs - nodeReq.tsNs} ns, node→pod ${podResp.tsNs - nodeResp.tsNs} ns`);
    const c = readCaptureCounters(obj!);
    assert.equal(c.nodeEmitted - before.nodeEmitted, BigInt(all.filter((e) => e.point === 'node').length));
    assert.equal(c.flowsClosedFin - before.flowsClosedFin, 1n, 'entry removed at the close, once');
  });

  test('the flow-table entry holds the node-NIC times per direction while the connection lives', async () => {
    const sweeper = new FlowTableSweeper(obj!, { idleTimeoutNs: 60_000_000_000n });
    const cport = 45_000 + Math.floor(Math.random() * 10_000);
    // a client that keeps the connection open after its request: python3 in the pod
    const script = `import socket,time,sys
s=socket.socket(); s.bind(("${pod!.peerIp4}",${cport})); s.connect(("${outside!.peerIp4}",${server!.port}))
s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); d=b""
while not d.endswith(b"hello\\n"): d+=s.recv(4096)
print("ok",flush=True); time.sleep(1.5)`;
    const client = run('ip', ['netns', 'exec', pod!.ns, 'python3', '-c', script]);
    const key = encodeFlowKey({ ipVersion: 4, l4Proto: 6, saddr: pod!.peerIp4, sport: cport, daddr: outside!.peerIp4, dport: server!.port });
    await waitFor(() => {
      const s = sweeper.lookup(key);
      return s !== null && s.nodeFirstNs[0] > 0n && s.nodeFirstNs[1] > 0n && s.bytes[1] > 0n;
    }, 3000, 'node times on the entry');
    const s = sweeper.lookup(key)!;
    assert.equal(s.ifindex, pod!.ifindex, 'owned by the pod interface');
    assert.equal(s.nodeIfindex, outside!.ifindex);
    // the pod address sorts first here only if it is smaller; find the client's direction
    const clientIsA = Buffer.compare(Buffer.from(pod!.peerIp4.split('.').map(Number)), Buffer.from(outside!.peerIp4.split('.').map(Number))) < 0;
    const [out, back] = clientIsA ? [0, 1] : [1, 0];
    assert.ok(s.firstNs <= s.nodeFirstNs[out]!, 'the SYN left the pod before crossing the node NIC');
    assert.ok(s.nodeFirstNs[out]! <= s.nodeFirstNs[back]!, 'out before back');
    assert.ok(s.nodeLastNs[back]! <= s.lastNs, 'the response reached the pod after the node NIC');
    await client;
  });

  test('traffic that did not come from a monitored pod is ignored on the node NIC', async () => {
    const before = readCaptureCounters(obj!);
    const start = events.length;
    assert.equal(await curl(outside!.peerIp4, server!.port, '/'), 'hello\n'); // from the node itself
    await new Promise((r) => setTimeout(r, 300));
    const fromNode = (e: CaptureEvent) => e.saddr === outside!.hostIp4 || e.daddr === outside!.hostIp4;
    assert.equal(events.slice(start).filter(fromNode).length, 0);
    const c = readCaptureCounters(obj!);
    // (the previous test's connection may still be closing: only its packets may count)
    const closing = BigInt(events.slice(start).filter((e) => e.point === 'node').length);
    assert.ok(c.nodeEmitted - before.nodeEmitted <= closing);
    assert.equal(c.flowsCreated - before.flowsCreated, 0n);
  });
});
