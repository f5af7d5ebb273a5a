// INT through the whole pipeline, checked field by field at the collector: real UDP datagrams
// (python3, each with a marker, its source port and the wall-clock window of its sendto()) between
// two dual-stack pods and out through a "node NIC" (libbpf's INT test topology: veths around the
// root namespace, static neighbours); `clovisor run --int --int-collector` (capture → Kafka on our
// own topic suffix → exporter → UDP); a collector on loopback that decodes every field with the
// decoders written from the spec (exporter testing/int-report-decode.ts). Every expected value is
// known independently: ifindexes and MACs from /sys/class/net, the switch id from the node NIC's
// address or --int-switch-id, hw_id from --int-hw-id, times from the sender's clock, the frame from
// what was sent. Then: counts against the rate limit, the watchlist, drops provoked for real
// (policy rule → no route, TTL 1, a qdisc that drops everything) with their INT codes, and v2.0.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IntCollector, type DecodedReport } from '@clovisor/exporter/int-collector';
import { createIntTopology, httpServer, udpSink, type IntHost, type IntTopology, type UdpSink } from '@clovisor/libbpf/int-topology';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { sendUdp, type SentDatagram } from '../lab/int-udp.js';
import { canonicalIpv6, readUdpFrame } from '../lab/udp-frame.js';
import { innerUdp, reportsOf, waitForReports } from '../lab/int-reports.js';

const run = promisify(execFile);
const PORT = 7431; // the UDP sinks' port (both families) in pod B and behind the node NIC
const HTTP_PORT = 7432;
const TTL = 50;
const HW_ID = 13;
const V2_HW_ID = 42;
const V2_SWITCH_ID = 0xc0ffee01;
const INTERVAL_MS = 250;
const TWO_32 = 2n ** 32n;
/** kernel times are taken after sendto() started; how late they may be and still belong to it */
const LATE_NS = 200_000_000n;
/** clock offset error between the sender's clock and capture's (both CLOCK_REALTIME-based) */
const EARLY_NS = 2_000_000n;

type V05 = Extract<DecodedReport, { version: 0 }>;
type V2 = Extract<DecodedReport, { version: 2 }>;

let stack: StackEndpoints;
let topo: IntTopology;
let sinks: UdpSink[] = [];
let dir: string;

const sysfs = (ifname: string, file: string) => readFileSync(`/sys/class/net/${ifname}/${file}`, 'utf8').trim();
const ifindex = (ifname: string) => Number(sysfs(ifname, 'ifindex'));
const ipv4Number = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const addressOf = (h: IntHost, family: 4 | 6) => family === 4 ? h.ip4 : h.ip6;
const marker = () => Buffer.from(`clv-int-${randomBytes(4).toString('hex')}`);

/** Where a datagram goes: from which pod, to which host, out through which interface. */
interface Path {
  name: string;
  from: IntHost;
  to: IntHost;
  family: 4 | 6;
}

/** `stamp` (low 32 bits of epoch ns) falls in the datagram's send window, modulo 2^32. */
function assertLow32InWindow(stamp: number, sent: SentDatagram, what: string): void {
  const from = sent.t0 - EARLY_NS;
  const span = sent.t1 + LATE_NS - from;
  const offset = (BigInt(stamp) - from % TWO_32 + TWO_32) % TWO_32;
  assert.ok(offset <= span, `${what} ${stamp}: ${offset - EARLY_NS} ns after sendto() began, window [-${EARLY_NS}, ${sent.t1 - sent.t0 + LATE_NS}] ns`);
}

function assertInWindow(stamp: bigint, sent: SentDatagram, what: string): void {
  assert.ok(stamp >= sent.t0 - EARLY_NS && stamp <= sent.t1 + LATE_NS, `${what} ${stamp}: ${stamp - sent.t0} ns after sendto() began`);
}

/** Which frame the report should carry: as it left the host (hop, or a drop after egress) or as it came in. */
type FrameAt = 'egress' | 'ingress';

function assertFrame(inner: Buffer, sent: SentDatagram, path: Path, at: FrameAt, ttl: number, padTo4 = false): void {
  const f = readUdpFrame(inner);
  const ipHeader = path.family === 4 ? 20 : 40;
  const frameLength = 14 + ipHeader + 8 + sent.payload.length;
  if (at === 'egress') {
    assert.equal(f.dstMac, path.to.peerMac, 'destination MAC: the receiving namespace\'s veth');
    assert.equal(f.srcMac, sysfs(path.to.hostIf, 'address'), 'source MAC: the egress interface');
  } else {
    assert.equal(f.dstMac, sysfs(path.from.hostIf, 'address'), 'destination MAC: the ingress interface');
    assert.equal(f.srcMac, path.from.peerMac, 'source MAC: the sending namespace\'s veth');
  }
  assert.equal(f.etherType, path.family === 4 ? 0x0800 : 0x86dd);
  assert.equal(f.ipVersion, path.family);
  const norm = (a: string) => path.family === 6 ? canonicalIpv6(a) : a;
  assert.equal(f.src, norm(addressOf(path.from, path.family)));
  assert.equal(f.dst, norm(addressOf(path.to, path.family)));
  assert.equal(f.ttl, ttl, 'TTL / hop limit');
  assert.equal(f.protocol, 17);
  assert.equal(f.ipLength, ipHeader + 8 + sent.payload.length);
  assert.ok(f.checksumOk, 'IPv4 header checksum');
  assert.equal(f.sport, sent.sport);
  assert.equal(f.dport, PORT);
  assert.equal(f.udpLength, 8 + sent.payload.length);
  assert.deepEqual(f.payload, sent.payload, 'the payload as sent');
  if (padTo4) {
    assert.equal(inner.length, Math.ceil(frameLength / 4) * 4, 'the frame, zero-padded to whole words');
    assert.ok(inner.subarray(frameLength).every((b) => b === 0), 'padding is zero');
  } else {
    assert.equal(inner.length, frameLength, 'the whole frame, nothing more');
  }
}

/** The egress-to-ingress difference of two low-32-bit stamps, modulo 2^32: small and not "negative". */
function low32Latency(ingress: number, egress: number): number {
  return Number((BigInt(egress) - BigInt(ingress) + TWO_32) % TWO_32);
}

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topo = await createIntTopology();
  // sinks, so that delivered datagrams are consumed, not dropped as NO_SOCKET
  sinks = [await udpSink(topo.podB.ns, 6, PORT), await udpSink(topo.remote.ns, 6, PORT), await httpServer(topo.podB.ns, HTTP_PORT)];
  dir = mkdtempSync(join(tmpdir(), 'clv-int-collector-'));
  // UDP to pod B and to the remote host behind the NIC, both families; not TCP, not to pod A
  writeFileSync(join(dir, 'watchlist.yaml'), `rules:\n${[topo.podB.ip4, topo.remote.ip4, topo.podB.ip6, topo.remote.ip6]
    .map((a) => `  - protocol: UDP\n    dst-addr: "${a}"\n`).join('')}`);
});

after(async () => {
  for (const s of sinks) await s.stop();
  await topo?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startPipeline(topics: IsolatedTopics, collector: IntCollector, extra: string[]): Promise<PipelineProcess> {
  return startClovisor([
    'run', '--node', `int-collector-${topics.suffix}`, '--interface', `${topo.podA.hostIf}=int-a`, '--interface', `${topo.podB.hostIf}=int-b`,
    '--node-interface', topo.remote.hostIf, '--port', `${HTTP_PORT}=http`, '--metrics-port', '0', '--topology-port', '0',
    '--int', '--int-watchlist', join(dir, 'watchlist.yaml'), '--int-collector', collector.address, ...extra,
  ], { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp });
}

describe('v0.5 reports of real traffic', () => {
  let topics: IsolatedTopics;
  let collector: IntCollector;
  let pipeline: PipelineProcess;
  let switchId: number;

  const paths = (): Path[] => [4, 6].flatMap((family) => [
    { name: `IPv${family} pod → pod`, from: topo.podA, to: topo.podB, family: family as 4 | 6 },
    { name: `IPv${family} pod → node NIC`, from: topo.podA, to: topo.remote, family: family as 4 | 6 },
  ]);

  function assertFlowReport(r: V05['report'], sent: SentDatagram, path: Path): void {
    assert.equal(r.version, 0);
    assert.equal(r.nproto, 2, 'nproto: switch-local (flow) report');
    assert.deepEqual([r.d, r.q, r.f], [0, 0, 1], 'D Q F');
    assert.equal(r.reserved, 0);
    assert.equal(r.hwId, HW_ID);
    assert.equal(r.switchId, switchId);
    assert.equal(r.ingressPort, ifindex(path.from.hostIf));
    assert.equal(r.egressPort, ifindex(path.to.hostIf));
    assert.equal(r.queueId, 0);
    assert.equal(r.queueOccupancy, 0);
    assertLow32InWindow(r.ingressTstamp, sent, 'ingress_tstamp');
    assertLow32InWindow(r.egressTstamp!, sent, 'egress_tstamp');
    assert.ok(low32Latency(r.ingressTstamp, r.egressTstamp!) < 100_000_000, `egress ${r.egressTstamp} not before ingress ${r.ingressTstamp} (mod 2^32)`);
    assert.equal(r.dropReason, null);
    assertFrame(r.inner, sent, path, 'egress', TTL - 1);
  }

  function assertDropReport(t: TestContext, report: V05, sent: SentDatagram, path: Path, code: number, egress: boolean, frameTtl: number): void {
    const r = report.report;
    assert.equal(r.version, 0);
    assert.equal(r.nproto, 1, 'nproto: drop report');
    assert.deepEqual([r.d, r.q, r.f], [1, 0, 0], 'D Q F');
    assert.equal(r.reserved, 0);
    assert.equal(r.hwId, HW_ID);
    assert.equal(r.switchId, switchId);
    assert.equal(r.ingressPort, ifindex(path.from.hostIf));
    assert.equal(r.egressPort, egress ? ifindex(path.to.hostIf) : 0);
    assert.equal(r.queueId, 0);
    assert.equal(r.dropReason, code);
    assert.equal(r.pad, 0);
    assertLow32InWindow(r.ingressTstamp, sent, 'ingress_tstamp');
    assertFrame(r.inner, sent, path, egress ? 'egress' : 'ingress', frameTtl);
    const promptMs = Number(report.arrivedAtNs - sent.t0) / 1e6;
    t.diagnostic(`${path.name}: sendto() → drop report (code ${code}) at the collector: ${promptMs.toFixed(1)} ms`);
    assert.ok(promptMs < 1000, `drop reported promptly: ${promptMs} ms`);
  }

  before(async () => {
    topics = isolatedTopics(stack.brokers, 'e2e-int-collector');
    collector = await IntCollector.start();
    // the default switch id: the first IPv4 address of the first --node-interface
    const [nic] = JSON.parse((await run('ip', ['-j', '-4', 'addr', 'show', 'dev', topo.remote.hostIf])).stdout) as Array<{ addr_info: Array<{ local: string }> }>;
    switchId = ipv4Number(nic!.addr_info[0]!.local);
    pipeline = await startPipeline(topics, collector, ['--int-hw-id', String(HW_ID), '--int-report-interval-ms', String(INTERVAL_MS), '--int-latency-bucket-shift', '64']);
  });

  after(async () => {
    await pipeline?.stop();
    await collector?.close();
    await topics?.remove();
  });

  test('one datagram per path (pod → pod, pod → node NIC; IPv4, IPv6): every field of its flow report', async () => {
    for (const path of paths()) {
      const sent = await sendUdp(path.from.ns, path.family, addressOf(path.to, path.family), PORT, marker(), { ttl: TTL });
      const [report] = await waitForReports<V05>(collector, pipeline, 0, sent, 1);
      assertFlowReport(report!.report, sent[0]!, path);
    }
  });

  test('K datagrams, each on a new flow, within the rate limit: exactly K flow reports, one per source port', async () => {
    const K = 12;
    const sent = await sendUdp(topo.podA.ns, 4, topo.podB.ip4, PORT, marker(), { ttl: TTL, count: K, newFlow: true });
    assert.equal(new Set(sent.map((s) => s.sport)).size, K, 'distinct source ports');
    const reports = await waitForReports<V05>(collector, pipeline, 0, sent, K);
    await confirmNothingMore();
    const again = reportsOf<V05>(collector, 0, sent);
    assert.equal(again.length, K);
    assert.deepEqual(again.map((r) => innerUdp(r.report.inner)!.sport).sort(), sent.map((s) => s.sport).sort());
    for (const r of reports) assertFlowReport(r.report, sent.find((s) => s.sport === innerUdp(r.report.inner)!.sport)!, paths()[0]!);
  });

  test(`N datagrams on one flow over T seconds, interval ${INTERVAL_MS} ms: FIRST + INTERVAL reports within the rule's bounds`, async (t) => {
    const N = 20;
    const sent = await sendUdp(topo.podA.ns, 4, topo.podB.ip4, PORT, marker(), { ttl: TTL, count: N, intervalS: 0.07 });
    assert.equal(new Set(sent.map((s) => s.sport)).size, 1, 'one flow');
    await waitForReports<V05>(collector, pipeline, 0, sent, 1);
    await confirmNothingMore();
    const reports = reportsOf<V05>(collector, 0, sent);
    // a report at the first packet; then one at the first packet ≥ INTERVAL after the previous report:
    // at most 1 + ⌊T/I⌋, at least 1 + ⌊T/(I + largest gap between sends)⌋ (T, gaps: the sender's clock)
    const tNs = Number(sent.at(-1)!.t0 - sent[0]!.t0);
    const maxGapNs = Math.max(...sent.slice(1).map((s, i) => Number(s.t0 - sent[i]!.t1)));
    const slackNs = 1_000_000; // clock reading vs. kernel time of the same packet
    const upper = 1 + Math.floor((tNs + slackNs) / (INTERVAL_MS * 1e6));
    const lower = 1 + Math.floor((tNs - slackNs) / (INTERVAL_MS * 1e6 + maxGapNs + slackNs));
    t.diagnostic(`${N} datagrams over ${(tNs / 1e6).toFixed(0)} ms: ${reports.length} reports, allowed [${lower}, ${upper}]`);
    assert.ok(reports.length >= lower && reports.length <= upper, `${reports.length} reports, allowed [${lower}, ${upper}]`);
    assert.equal(reports[0]!.report.inner.subarray(-5).toString(), '#0000', 'the first packet is reported (FIRST)');
    for (const r of reports) assertFlowReport(r.report, sent.find((s) => s.payload.equals(innerUdp(r.report.inner)!.payload))!, paths()[0]!);
    // consecutive reports at least one interval apart (ingress stamps, mod 2^32)
    for (let i = 1; i < reports.length; i++) {
      assert.ok(low32Latency(reports[i - 1]!.report.ingressTstamp, reports[i]!.report.ingressTstamp) >= INTERVAL_MS * 1e6 - slackNs, `report ${i} is ≥ ${INTERVAL_MS} ms after report ${i - 1}`);
    }
  });

  test('traffic the watchlist excludes (TCP, and UDP to pod A) gets no report', async () => {
    const before = collector.received.length;
    await run('ip', ['netns', 'exec', topo.podA.ns, 'curl', '-sS', '--max-time', '10', `http://${topo.podB.ip4}:${HTTP_PORT}/`]);
    await sendUdp(topo.podB.ns, 4, topo.podA.ip4, PORT, marker(), { ttl: TTL, count: 3, newFlow: true });
    await confirmNothingMore();
    const since = collector.received.slice(before).filter((r) => r !== sentinelReport);
    assert.deepEqual(since.map((r) => innerUdp(r.report.inner)?.sport ?? 'TCP'), [], 'no report but the sentinel\'s');
  });

  /** The reports of one flow are in order on one partition: a new watched datagram's report arriving means everything sent before it has arrived. */
  let sentinelReport: DecodedReport | undefined;
  async function confirmNothingMore(): Promise<void> {
    const sent = await sendUdp(topo.podA.ns, 4, topo.podB.ip4, PORT, Buffer.from('sentinel'), { ttl: TTL });
    [sentinelReport] = await waitForReports<V05>(collector, pipeline, 0, sent, 1);
  }

  test('no route (a policy rule for pod A\'s address): drop report, code 29 (routing miss), before egress', async (t) => {
    const path = paths()[0]!;
    const pref = String(randomInt(20000, 30000));
    await run('ip', ['rule', 'add', 'pref', pref, 'from', topo.podA.ip4, 'iif', topo.podA.hostIf, 'unreachable']);
    let sent: SentDatagram[];
    try {
      sent = await sendUdp(topo.podA.ns, 4, topo.podB.ip4, PORT, marker(), { ttl: TTL });
    } finally {
      await run('ip', ['rule', 'del', 'pref', pref]);
    }
    const [drop] = await waitForReports<V05>(collector, pipeline, 0, sent, 1);
    assertDropReport(t, drop!, sent[0]!, path, 29, false, TTL);
  });

  for (const family of [4, 6] as const) {
    test(`IPv${family} TTL / hop limit 1 across the forwarding hop: drop report, code 26 (TTL zero), before egress`, async (t) => {
      const path = paths().find((p) => p.family === family && p.to === topo.podB)!;
      const sent = await sendUdp(topo.podA.ns, family, addressOf(topo.podB, family), PORT, marker(), { ttl: 1 });
      const [drop] = await waitForReports<V05>(collector, pipeline, 0, sent, 1);
      assertDropReport(t, drop!, sent[0]!, path, 26, false, 1);
      await confirmNothingMore();
      assert.equal(reportsOf(collector, 0, sent).length, 1, 'a drop and no hop');
    });
  }

  test('a qdisc that drops everything on pod B\'s veth: the hop, then a drop report, code 71 (traffic manager), egress port set', async (t) => {
    const path = paths()[0]!;
    await run('tc', ['qdisc', 'replace', 'dev', topo.podB.hostIf, 'root', 'pfifo', 'limit', '0']);
    let sent: SentDatagram[];
    try {
      sent = await sendUdp(topo.podA.ns, 4, topo.podB.ip4, PORT, marker(), { ttl: TTL });
    } finally {
      await run('tc', ['qdisc', 'del', 'dev', topo.podB.hostIf, 'root']);
    }
    const reports = await waitForReports<V05>(collector, pipeline, 0, sent, 2);
    const hop = reports.find((r) => r.report.nproto === 2);
    const drop = reports.find((r) => r.report.nproto === 1);
    assert.ok(hop && drop, `a flow and a drop report: ${reports.map((r) => r.report.nproto)}`);
    assertFlowReport(hop.report, sent[0]!, path);
    assertDropReport(t, drop, sent[0]!, path, 71, true, TTL - 1);
  });

  test('seq_no runs 1, 2, 3… without a gap over every report of this run, in order; nothing undecodable', async () => {
    await confirmNothingMore();
    assert.deepEqual(collector.undecodable, []);
    const seqs = collector.received.map((r) => (r.version === 0 ? r.report.seqNo : assert.fail(`version ${r.version}`)));
    assert.ok(seqs.length >= 20, `${seqs.length} reports: those of the tests above`);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
    assert.ok(collector.received.every((r) => r.version === 0 && r.report.hwId === HW_ID && r.report.switchId === switchId));
  });
});

describe('v2.0 reports of real traffic (--int-version 2 --int-switch-id --int-hw-id)', () => {
  let topics: IsolatedTopics;
  let collector: IntCollector;
  let pipeline: PipelineProcess;
  const mdBits = (...bits: number[]) => bits.reduce((v, b) => v | (1 << (15 - b)), 0);

  before(async () => {
    topics = isolatedTopics(stack.brokers, 'e2e-int-collector-v2');
    collector = await IntCollector.start();
    pipeline = await startPipeline(topics, collector, ['--int-version', '2', '--int-switch-id', String(V2_SWITCH_ID), '--int-hw-id', String(V2_HW_ID), '--int-report-interval-ms', '0']);
  });

  after(async () => {
    await pipeline?.stop();
    await collector?.close();
    await topics?.remove();
  });

  function assertHeader(r: V2['report'], bytes: Buffer, seqNo: number, mdWords: number, frameLength: number): void {
    assert.equal(r.version, 2);
    assert.equal(r.hwId, V2_HW_ID);
    assert.equal(r.seqNo, seqNo);
    assert.equal(r.nodeId, V2_SWITCH_ID);
    assert.equal(r.repType, 1, 'RepType INT');
    assert.equal(r.inType, 3, 'InType Ethernet');
    assert.equal(r.mdLength, mdWords);
    assert.equal(r.reportLength, 2 + mdWords + Math.ceil(frameLength / 4), 'Report Length: main contents + metadata + frame words');
    assert.equal(r.declaredBytes, bytes.length, 'the datagram is exactly the declared length');
    assert.equal(r.rsvd, 0);
    assert.deepEqual([r.domainSpecificId, r.dsMdBits, r.dsMdStatus], [0, 0, 0]);
    assert.equal(r.queueId, null);
    assert.equal(r.queueOccupancy, null);
  }

  test('hops (IPv4 pod → pod, IPv6 pod → node NIC): Node ID, hw_id, RepMdBits, lengths, hop latency = egress − ingress, the frame', async () => {
    const paths: Path[] = [{ name: 'IPv4 pod → pod', from: topo.podA, to: topo.podB, family: 4 }, { name: 'IPv6 pod → node NIC', from: topo.podA, to: topo.remote, family: 6 }];
    let seq = 0;
    for (const path of paths) {
      const sent = await sendUdp(path.from.ns, path.family, addressOf(path.to, path.family), PORT, marker(), { ttl: TTL });
      const [report] = await waitForReports<V2>(collector, pipeline, 2, sent, 1);
      const r = report!.report;
      const frameLength = 14 + (path.family === 4 ? 20 : 40) + 8 + sent[0]!.payload.length;
      assertHeader(r, report!.bytes, ++seq, 6, frameLength);
      assert.deepEqual([r.d, r.q, r.f, r.i], [0, 0, 1, 0], 'D Q F I');
      assert.equal(r.repMdBits, mdBits(1, 2, 4, 5), 'interfaces, hop latency, ingress and egress timestamps');
      assert.equal(r.ingressInterface, ifindex(path.from.hostIf));
      assert.equal(r.egressInterface, ifindex(path.to.hostIf));
      assertInWindow(r.ingressTimestamp!, sent[0]!, 'ingress timestamp');
      assertInWindow(r.egressTimestamp!, sent[0]!, 'egress timestamp');
      assert.ok(r.egressTimestamp! >= r.ingressTimestamp!, 'egress after ingress');
      assert.equal(BigInt(r.hopLatency!), r.egressTimestamp! - r.ingressTimestamp!, 'hop latency = egress − ingress');
      assert.equal(r.dropReason, null);
      assertFrame(r.inner, sent[0]!, path, 'egress', TTL - 1, true);
    }
  });

  test('a TTL 1 drop: D, RepMdBits interfaces + ingress timestamp + drop reason 26, egress 0, Report Length', async (t) => {
    const path: Path = { name: 'IPv4 pod → pod', from: topo.podA, to: topo.podB, family: 4 };
    const sent = await sendUdp(topo.podA.ns, 4, topo.podB.ip4, PORT, marker(), { ttl: 1 });
    const [report] = await waitForReports<V2>(collector, pipeline, 2, sent, 1);
    const r = report!.report;
    assertHeader(r, report!.bytes, collector.received.indexOf(report!) + 1, 4, 14 + 20 + 8 + sent[0]!.payload.length);
    assert.deepEqual([r.d, r.q, r.f, r.i], [1, 0, 0, 0], 'D Q F I');
    assert.equal(r.repMdBits, mdBits(1, 4, 15), 'interfaces, ingress timestamp, drop reason');
    assert.equal(r.ingressInterface, ifindex(topo.podA.hostIf));
    assert.equal(r.egressInterface, 0);
    assert.equal(r.hopLatency, null);
    assert.equal(r.egressTimestamp, null);
    assertInWindow(r.ingressTimestamp!, sent[0]!, 'ingress timestamp');
    assert.deepEqual([r.dropQueueId, r.dropReason, r.dropPadding], [0, 26, 0]);
    assertFrame(r.inner, sent[0]!, path, 'ingress', 1, true);
    t.diagnostic(`v2.0: sendto() → drop report at the collector: ${(Number(report!.arrivedAtNs - sent[0]!.t0) / 1e6).toFixed(1)} ms`);
    assert.deepEqual(collector.received.map((x) => x.version === 2 && x.report.seqNo), collector.received.map((_, i) => i + 1), 'seq_no 1, 2, 3…');
    assert.deepEqual(collector.undecodable, []);
  });
});
