// `clovisor int listen` as a user runs it: real UDP datagrams (reports encoded by the exporter's
// encoders from recorded frames, and one that is not a report) to the real command, its lines
// read back (--json and text), Ctrl-C, the counts; a port already taken is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { encodeReportV05, encodeReportV2 } from '@clovisor/exporter';
import { eventOf, fixtureFrames } from '@clovisor/exporter/fixture-frames';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';

const tcp = fixtureFrames('python-http10-close.pcap')[0]!;
const udp = fixtureFrames('dns-udp.pcap')[0]!;
const T = 1_763_900_000_123_456_789n;
const SWITCH = 0x0a000005; // 10.0.0.5

const datagrams = [
  encodeReportV05(eventOf(tcp, { kind: 'HOP', ingressIfindex: 7, egressIfindex: 9, ingressTimeNs: T, egressTimeNs: T + 21_300n }), { switchId: SWITCH, hwId: 3, seqNo: 41, dropReason: 0 }),
  encodeReportV2(eventOf(udp, { kind: 'DROP', ingressIfindex: 9, egressIfindex: 0, ingressTimeNs: T, dropTimeNs: T + 5n, dropReasonName: 'IP_INNOROUTES' }), { switchId: SWITCH, hwId: 4, seqNo: 42, dropReason: 29 }),
  Buffer.from('hello'),
];

async function listenAndSend(extra: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(process.execPath, [CLOVISOR_BIN, 'int', 'listen', '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = async (what: () => boolean, label: string) => {
    const deadline = Date.now() + 15_000;
    while (!what()) {
      if (Date.now() > deadline) { child.kill('SIGKILL'); assert.fail(`${label}; stdout:\n${stdout}\nstderr:\n${stderr}`); }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until(() => /listening on UDP 127\.0\.0\.1:\d+/.test(stderr), 'no "listening" line');
  const port = Number(/listening on UDP 127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  for (const d of datagrams) await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  const sender = `127.0.0.1:${(socket.address() as AddressInfo).port}`;
  socket.close();
  await until(() => stdout.split('\n').filter(Boolean).length >= 2 && /not a telemetry report/.test(stderr), 'not every datagram printed');
  child.kill('SIGINT');
  const code = await exited;
  return { stdout, stderr: stderr.replaceAll(sender, '<sender>'), code };
}

test('--json: one object per report with the decoded fields, the derived ones and the sender; non-reports on stderr; Ctrl-C prints the counts', async () => {
  const { stdout, stderr, code } = await listenAndSend(['--json']);
  assert.equal(code, 0, stderr);
  const [flow, drop] = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    { format: flow!['format'], kind: flow!['kind'], seqNo: flow!['seqNo'], switchId: flow!['switchId'], hwId: flow!['hwId'], ingressPort: flow!['ingressPort'], egressPort: flow!['egressPort'], hopLatencyNs: flow!['hopLatencyNs'], nproto: flow!['nproto'] },
    { format: 'v0.5', kind: 'flow', seqNo: 41, switchId: SWITCH, hwId: 3, ingressPort: 7, egressPort: 9, hopLatencyNs: 21_300, nproto: 2 },
  );
  assert.deepEqual(flow!['flow'], { protocol: 'TCP', source: tcp.source.address, destination: tcp.destination.address, sourcePort: tcp.source.port, destinationPort: tcp.destination.port });
  assert.equal(flow!['packet'], tcp.frame.toString('hex'));
  assert.deepEqual(
    { format: drop!['format'], kind: drop!['kind'], seqNo: drop!['seqNo'], switchId: drop!['switchId'], hwId: drop!['hwId'], ingressPort: drop!['ingressPort'], egressPort: drop!['egressPort'], dropReason: drop!['dropReason'], dropReasonMeaning: drop!['dropReasonMeaning'], ingressTimestamp: drop!['ingressTimestamp'] },
    { format: 'v2.0', kind: 'drop', seqNo: 42, switchId: SWITCH, hwId: 4, ingressPort: 9, egressPort: 0, dropReason: 29, dropReasonMeaning: 'routing miss', ingressTimestamp: T.toString() },
  );
  assert.match(String(flow!['from']), /^127\.0\.0\.1:\d+$/);
  assert.match(stderr, /5 bytes from <sender> are not a telemetry report: report version 6/);
  assert.match(stderr, /2 reports, 1 undecodable datagrams\n$/);
});

test('text: one readable line per report', async () => {
  const { stdout, code, stderr } = await listenAndSend([]);
  assert.equal(code, 0, stderr);
  const [flow, drop] = stdout.trim().split('\n');
  assert.match(flow!, new RegExp(`^v0\\.5 flow seq=41 switch=10\\.0\\.0\\.5 hw=3 ports 7→9 latency 21\\.3 µs TCP ${tcp.source.address.replace(/\./g, '\\.')}:${tcp.source.port} → .*:${tcp.destination.port} \\(${tcp.frame.length} bytes of packet\\) from 127\\.0\\.0\\.1:\\d+$`));
  assert.match(drop!, /^v2\.0 drop seq=42 switch=10\.0\.0\.5 hw=4 ports 9→0 reason 29 \(routing miss\) UDP .* from 127\.0\.0\.1:\d+$/);
});

test('a port already taken is one clear line and exit 2', async () => {
  const taken = createSocket('udp4');
  await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
  try {
    const port = (taken.address() as AddressInfo).port;
    const res = spawnSync(process.execPath, [CLOVISOR_BIN, 'int', 'listen', '--listen', `127.0.0.1:${port}`], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(res.status, 2);
    assert.match(res.stderr.trim(), new RegExp(`^clovisor: cannot listen on UDP 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*pick another with --listen\\)$`));
  } finally {
    taken.close();
  }
});
