// CaptureStage.applyInterfaces on the real kernel: attach, update ports in place, detach, and a
// failing interface reported and counted while the others still apply. No traffic flows, so
// the producer is never started (nothing is sent).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { RecordProducer, createKafka, createLogger } from '@clovisor/core';
import { ifindexOf } from '@clovisor/libbpf';
import type { DesiredInterface } from '../core/interface-plan.js';
import { CaptureStage } from './capture-stage.js';

const run = promisify(execFile);
const isRoot = process.geteuid?.() === 0;

describe('CaptureStage.applyInterfaces', { skip: !isRoot && 'needs root (eBPF)' }, () => {
  const dev = `clvcs${randomBytes(3).toString('hex')}`;
  let stage: CaptureStage;
  let ifindex = 0;
  const log = createLogger('capture-stage-test');

  before(async () => {
    await run('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
    ifindex = ifindexOf(dev);
    const producer = new RecordProducer(createKafka(['127.0.0.1:9092'], 'capture-stage-test', log), log);
    stage = new CaptureStage(producer, { node: 'n1', interfaces: [], ports: [], snaplen: 512 }, log);
    await stage.start();
  });

  after(async () => {
    await stage?.stop();
    await run('ip', ['link', 'del', dev]).catch(() => undefined);
  });

  const ours = async (hook: 'ingress' | 'egress') => (await run('tc', ['filter', 'show', 'dev', dev, hook]).then((r) => r.stdout, () => '')).includes(`capture_${hook}`);
  const desired = (ports: DesiredInterface['ports']): DesiredInterface => ({
    name: dev, ifindex, pod: { service: 'svc', namespace: 'ns', name: 'pod-1', node: 'n1' }, ports, egress: [{ family: 4, address: '0.0.0.0', prefixLength: 0, port: 443 }],
  });

  test('attaches, updates ports in place, detaches; a failing interface is reported, counted, and does not stop the others', async () => {
    const missing: DesiredInterface = { ...desired([]), name: 'clvgone0', ifindex: 0x7ffffff0 };
    const first = stage.applyInterfaces([desired([{ port: 8080, protocol: 'http' }]), missing]);
    assert.deepEqual(first.attached, [dev]);
    assert.deepEqual(first.failed.map((f) => f.name), ['clvgone0']);
    assert.ok(await ours('ingress') && await ours('egress'));
    assert.deepEqual(stage.attachedInterfaces(), [dev]);
    assert.equal(stage.stats().interfacesAttached, 1);
    assert.equal(stage.stats().attachFailures, 1);

    const second = stage.applyInterfaces([desired([{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'grpc' }])]);
    assert.deepEqual([second.attached, second.updated, second.detached], [[], [dev], []], 'a port change is an update, not a re-attach');
    const unchanged = stage.applyInterfaces([desired([{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'grpc' }])]);
    assert.deepEqual([unchanged.attached, unchanged.updated, unchanged.detached], [[], [], []]);

    const third = stage.applyInterfaces([]);
    assert.deepEqual(third.detached, [dev]);
    assert.equal(await ours('ingress') || await ours('egress'), false);
    assert.equal(stage.stats().interfacesAttached, 0);
  });
});
