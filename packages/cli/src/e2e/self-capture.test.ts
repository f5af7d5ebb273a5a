// Capture refuses to trace Clovisor's own connections: a broker reached through a traced pod's
// veth on a traced port would make every published segment be captured and published again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Lab, type Pod } from '../lab/pods.js';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';

let lab: Lab;
let kafkaPod: Pod;

before(async () => {
  lab = new Lab();
  kafkaPod = await lab.addPod('kafka');
});

after(async () => {
  await lab?.destroy();
});

test('capture refuses a broker routed through a traced interface on a traced port, before attaching anything', () => {
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, 'capture', '--interface', kafkaPod.hostInterface, '--port', '9092=kafka', '--brokers', `${kafkaPod.address}:9092`, '--metrics-port', '0'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(res.status, 2, res.stderr);
  assert.match(res.stderr, new RegExp(`Kafka broker ${kafkaPod.address.replace(/\./g, '\\.')}:9092 \\(${kafkaPod.address.replace(/\./g, '\\.')} via ${kafkaPod.hostInterface}\\)`));
  assert.match(res.stderr, /captured and published again/);
  const filters = spawnSync('tc', ['filter', 'show', 'dev', kafkaPod.hostInterface, 'ingress'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(filters, /pref 3088/, 'nothing attached');
});
