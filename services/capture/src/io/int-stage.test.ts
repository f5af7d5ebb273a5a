// IntStage follows CaptureStage's interfaces live on the real kernel: an interface capture
// attaches gets the INT filters too, one it detaches loses them, node NICs are included, and
// stop() leaves none. The topology API lists what is traced at that moment. The producer is
// never started: no traffic flows here (the --int e2e test in packages/cli sends real traffic).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createServer, type AddressInfo } from 'node:net';
import { ConfigError, RecordProducer, createKafka, createLogger } from '@clovisor/core';
import { ifindexOf } from '@clovisor/libbpf';
import type { DesiredInterface } from '../core/interface-plan.js';
import { AttachmentRecord } from './attachment-record.js';
import { CaptureStage } from './capture-stage.js';
import { IntStage } from './int-stage.js';

const run = promisify(execFile);

/** A TCP port free right now on 127.0.0.1. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
const isRoot = process.geteuid?.() === 0;

describe('IntStage on CaptureStage\'s interfaces', { skip: !isRoot && 'needs root (eBPF)' }, () => {
  const id = randomBytes(3).toString('hex');
  const pods = [`clvis${id}a`, `clvis${id}b`];
  const nic = `clvis${id}n`;
  const log = createLogger('int-stage-test', () => undefined);
  let capture: CaptureStage;
  let int: IntStage;
  let dir: string;
  let topologyPort = 0;

  before(async () => {
    topologyPort = await unusedPort();
    for (const dev of [...pods, nic]) await run('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
    await run('ip', ['addr', 'add', '192.0.2.61/32', 'dev', nic]); // TEST-NET-1, never routed anywhere
    // up with carrier: Node's os.networkInterfaces() lists only running interfaces
    for (const dev of [nic, `${nic}p`]) await run('ip', ['link', 'set', dev, 'up']);
    dir = mkdtempSync(join(tmpdir(), 'clv-int-stage-'));
    writeFileSync(join(dir, 'wl.yaml'), 'rules:\n  - protocol: TCP\n    dst-port: 8080\n');
    const producer = new RecordProducer(createKafka(['127.0.0.1:9092'], 'int-stage-test', log), log);
    capture = new CaptureStage(producer, { node: 'n1', interfaces: [], ports: [], snaplen: 512, nodeInterfaces: [nic] }, log);
    int = new IntStage(producer, capture, { node: 'n1', nodeAddress: null, watchlistPath: join(dir, 'wl.yaml'), reportIntervalMs: 1000, latencyBucketShift: 16, topologyPort }, log);
    await capture.prepare();
    await int.prepare();
    await capture.start();
    await int.start();
  });

  after(async () => {
    await capture?.stop();
    await int?.stop();
    for (const dev of [...pods, nic]) await run('ip', ['link', 'del', dev]).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const intFilters = async (dev: string) => {
    let n = 0;
    for (const hook of ['ingress', 'egress']) if ((await run('tc', ['filter', 'show', 'dev', dev, hook]).then((r) => r.stdout, () => '')).includes(`int_${hook}`)) n += 1;
    return n;
  };
  const desired = (dev: string): DesiredInterface => ({ name: dev, ifindex: ifindexOf(dev), pod: { service: 's', namespace: 'ns', name: dev, node: 'n1' }, ports: [{ port: 8080, protocol: 'http' }], egress: [], addresses: ['10.77.0.1'] });

  test('attaches where capture attaches, detaches where it detaches, live; the node NIC throughout', async () => {
    assert.deepEqual(int.attachedIfindexes(), [ifindexOf(nic)], 'the node NIC from the start');
    assert.equal(await intFilters(nic), 2);
    assert.equal(int.stats().watchlist?.rules, 1);

    capture.applyInterfaces([desired(pods[0]!), desired(pods[1]!)]);
    assert.deepEqual(int.attachedIfindexes().sort(), [nic, ...pods].map(ifindexOf).sort());
    assert.equal(await intFilters(pods[0]!), 2);
    assert.equal(await intFilters(pods[1]!), 2);

    capture.applyInterfaces([desired(pods[1]!)]);
    assert.equal(await intFilters(pods[0]!), 0, 'detached with capture');
    assert.equal(await intFilters(pods[1]!), 2);
    assert.equal(int.stats().interfacesAttached, 2);
    assert.equal(capture.stats().int?.interfacesAttached, 2, 'capture\'s /metrics sees INT');
    assert.equal(int.nodeAddressInUse(), '192.0.2.61', 'the switch id defaults to the node NIC\'s IPv4');

    // the topology lists what is traced now, pods with the addresses of the plan (Kubernetes' pod IPs)
    const { links } = (await (await fetch(`http://127.0.0.1:${topologyPort}/api/v1/topology`)).json()) as { links: unknown[] };
    assert.deepEqual(links, [
      { id: ifindexOf(nic), name: nic, 'ip-addresses': ['192.0.2.61'], 'is-node-iface': true },
      { id: ifindexOf(pods[1]!), name: pods[1], 'ip-addresses': ['10.77.0.1'], 'is-node-iface': false },
    ]);
  });

  test('stop() removes every INT filter', async () => {
    await int.stop();
    for (const dev of [...pods, nic]) assert.equal(await intFilters(dev), 0, dev);
  });
});

test('a kernel without BTF: --int fails at prepare() with a ConfigError that says so and what to do', async () => {
  const log = createLogger('int-stage-test', () => undefined);
  const producer = new RecordProducer(createKafka(['127.0.0.1:9092'], 'int-stage-test', log), log);
  const capture = new CaptureStage(producer, { node: 'n1', interfaces: [], ports: [], snaplen: 512 }, log);
  const missing = join(tmpdir(), `clv-no-btf-${randomBytes(4).toString('hex')}`);
  const int = new IntStage(producer, capture, { node: 'n1', nodeAddress: null, watchlistPath: null, reportIntervalMs: 1000, latencyBucketShift: 16, topologyPort: 0, btfPath: missing }, log);
  await assert.rejects(int.prepare(), (err: unknown) => err instanceof ConfigError && /^--int: cannot read kernel BTF .*CONFIG_DEBUG_INFO_BTF.*; run without --int on this kernel$/.test(err.message));
  await int.stop();
});

// A run killed with SIGKILL (no exit path ran) leaves its INT filters; the next start's
// AttachmentRecord.claim() removes them with capture's, from the interfaces it had recorded.
test('stale INT filters of a SIGKILLed agent are removed at the next start', { skip: !isRoot && 'needs root (eBPF)' }, async (t) => {
  const dev = `clvis${randomBytes(3).toString('hex')}k`;
  const dir = mkdtempSync(join(tmpdir(), 'clv-int-stale-'));
  await run('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
  t.after(async () => {
    await run('ip', ['link', 'del', dev]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const stateFile = join(dir, 'capture.json');
  const here = (name: string) => new URL(name, import.meta.url).href;
  const script = `
    import { RecordProducer, createKafka, createLogger } from '@clovisor/core';
    import { ifindexOf } from '@clovisor/libbpf';
    const { CaptureStage } = await import(${JSON.stringify(here('./capture-stage.js'))});
    const { IntStage } = await import(${JSON.stringify(here('./int-stage.js'))});
    const log = createLogger('doomed', () => undefined);
    const producer = new RecordProducer(createKafka(['127.0.0.1:9092'], 'doomed', log), log);
    const capture = new CaptureStage(producer, { node: 'n1', interfaces: [], ports: [], snaplen: 512, stateFile: ${JSON.stringify(stateFile)} }, log);
    const int = new IntStage(producer, capture, { node: 'n1', nodeAddress: null, watchlistPath: null, reportIntervalMs: 1000, latencyBucketShift: 16, topologyPort: 0 }, log);
    await capture.prepare(); await int.prepare(); await capture.start(); await int.start();
    capture.applyInterfaces([{ name: ${JSON.stringify(dev)}, ifindex: ifindexOf(${JSON.stringify(dev)}), pod: null, ports: [{ port: 8080, protocol: 'http' }], egress: [] }]);
    console.log('ready');
    setInterval(() => undefined, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('.', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before attaching: ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const filters = async () => (await run('tc', ['filter', 'show', 'dev', dev, 'ingress'])).stdout + (await run('tc', ['filter', 'show', 'dev', dev, 'egress'])).stdout;
  assert.match(await filters(), /int_ingress/, 'the killed agent left its INT filter');
  assert.match(await filters(), /capture_ingress/, 'and its capture filter');

  const cleaned = new AttachmentRecord(stateFile, createLogger('int-stage-test', () => undefined)).claim();
  assert.equal(cleaned, 1);
  assert.doesNotMatch(await filters(), /int_(ingress|egress)|capture_(ingress|egress)/);
});
