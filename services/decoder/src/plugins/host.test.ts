import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codecs, createLogger, deadLetterFor, type Logger } from '@clovisor/core';
import { PluginHost } from './host.js';
import { flowBatch } from './test-batches.js';

const LINES = fileURLToPath(new URL('./fixture-plugins/lines.js', import.meta.url));

function capturingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('plugins-test', (l) => lines.push(l)), lines };
}

function newHost(log: Logger): PluginHost {
  return new PluginHost(log, { timeoutMs: 500, maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8, maxConsecutiveFailures: 100 });
}

test('a plugin decodes the flows routed to it in its worker, with string attributes', async () => {
  const host = newHost(capturingLog().log);
  try {
    await host.configure([{ protocol: 'lines', path: LINES, source: 'flag' }]);
    assert.equal(host.stats().loaded, 1);
    assert.equal(host.route(flowBatch('f0', [], { hint: 'lines-v2' })), 'lines', 'Istio-style port name');
    assert.equal(host.route(flowBatch('f0', [], { hint: null, port: 7070 })), 'lines', 'the plugin\'s ports');
    assert.equal(host.route(flowBatch('f0', [], { hint: 'http' })), null);
    const r = await host.process('lines', flowBatch('f1', [['hello\n', 'world\n'], ['a\n', 'b\n']]));
    assert.equal(r.failure, null);
    assert.equal(r.transactions.length, 2);
    assert.equal(r.transactions[0]!.protocol, 'lines');
    assert.deepEqual(r.transactions[0]!.attributes, { 'lines.request': 'hello', 'lines.response': 'world' });
    assert.equal(r.transactions[1]!.messageIndex, 1);
    assert.equal(typeof r.transactions[0]!.requestStartNs, 'bigint');
    // a request still waiting for its response comes out of the worker on flush, incomplete
    assert.deepEqual((await host.process('lines', flowBatch('f2', [['pending\n', '']]))).transactions, []);
    const flushed = await host.flush();
    assert.deepEqual(flushed.map((t) => [t.flowId, t.complete, t.attributes['lines.request']]), [['f2', false, 'pending']]);
  } finally {
    await host.close();
  }
});

test('a throw, an endless loop and an OOM are each contained, counted and dead-lettered; the plugin keeps working', async () => {
  const { log, lines } = capturingLog();
  const host = newHost(log);
  try {
    await host.configure([{ protocol: 'lines', path: LINES, source: 'flag' }]);
    const good = async (id: string): Promise<void> => {
      const r = await host.process('lines', flowBatch(id, [['ping\n', 'pong\n']]));
      assert.equal(r.failure, null, `${id}: ${r.failure?.message}`);
      assert.equal(r.transactions[0]?.attributes['lines.response'], 'pong');
    };
    await good('ok0');
    const startsBefore = host.stats().workerStarts;
    const cases = [['boom', 'PLUGIN_ERROR'], ['spin', 'PLUGIN_TIMEOUT'], ['hog', 'PLUGIN_MEMORY'], ['deep', 'PLUGIN_ERROR']] as const;
    for (const [trigger, code] of cases) {
      const t0 = Date.now();
      const r = await host.process('lines', flowBatch(`bad-${trigger}`, [[`${trigger}\n`, 'x\n']]));
      assert.equal(r.failure?.code, code, `${trigger}: ${r.failure?.message}`);
      assert.ok(Date.now() - t0 < 10_000);
      // the dead letter a stage builds from this failure carries the code
      const record = { topic: 'clovisor.segments.v1', partition: 0, offset: '7', key: Buffer.from('bad'), value: Buffer.from('v'), timestamp: '0', headers: {} };
      const letter = codecs().deadletter.decode(deadLetterFor('decoder', record as never, r.failure).value);
      assert.equal(letter.errorCode, code);
      await good(`after-${trigger}`);
    }
    const s = host.stats();
    assert.equal(s.failures.PLUGIN_ERROR, 2);
    assert.equal(s.failures.PLUGIN_TIMEOUT, 1);
    assert.equal(s.failures.PLUGIN_MEMORY, 1);
    assert.equal(s.deadLettered, 4);
    // a throw (a stack overflow too) keeps the worker; a timeout and an OOM cost one restart each
    assert.equal(s.workerStarts - startsBefore, 2);
    assert.ok(lines.some((l) => l.includes('PLUGIN_TIMEOUT')), 'the failure is logged');
  } finally {
    await host.close();
  }
});

test('repeated hard failures disable the plugin for a cooldown: later batches fail fast', async () => {
  const host = new PluginHost(capturingLog().log, { timeoutMs: 300, maxConsecutiveFailures: 2, cooldownMs: 60_000 });
  try {
    await host.configure([{ protocol: 'lines', path: LINES, source: 'flag' }]);
    for (const id of ['s1', 's2']) assert.equal((await host.process('lines', flowBatch(id, [['spin\n', '']]))).failure?.code, 'PLUGIN_TIMEOUT');
    const t0 = Date.now();
    const r = await host.process('lines', flowBatch('s3', [['ping\n', 'pong\n']]));
    assert.equal(r.failure?.code, 'PLUGIN_DISABLED');
    assert.ok(Date.now() - t0 < 100);
  } finally {
    await host.close();
  }
});

test('output beyond the limits is dropped or cut, and counted', async () => {
  const host = new PluginHost(capturingLog().log, { maxAttributes: 64, maxAttributeValueLength: 1000, maxTransactionsPerBatch: 3 });
  try {
    await host.configure([{ protocol: 'lines', path: LINES, source: 'flag' }]);
    const r = await host.process('lines', flowBatch('o1', [['flood\n', 'x\n'], ['long\n', 'y\n'], ['c\n', 'c\n'], ['d\n', 'd\n'], ['e\n', 'e\n']]));
    assert.equal(r.failure, null);
    assert.equal(r.transactions.length, 3);
    assert.equal(Object.keys(r.transactions[0]!.attributes).length, 64);
    assert.equal(r.transactions[1]!.attributes['long']!.length, 1000);
    const d = host.stats().dropped;
    assert.equal(d.transactions, 2);
    assert.equal(d.attributes, 10_002 - 64);
    assert.equal(d.truncatedValues, 1);
  } finally {
    await host.close();
  }
});

test('a missing or invalid module is logged with its key and why; the others load', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'clovisor-plugins-'));
  const { log, lines } = capturingLog();
  const host = newHost(log);
  try {
    await writeFile(join(dir, 'half.js'), 'export default { name: "half", portNames: [], parseFrame() {} };\n');
    await writeFile(join(dir, 'throws-on-import.js'), 'throw new Error("cannot start");\n');
    await writeFile(join(dir, 'loops-on-import.js'), 'for (;;) {}\n');
    await host.configure([
      { protocol: 'gone', path: join(dir, 'nope.js'), source: 'flag' },
      { protocol: 'half', path: join(dir, 'half.js'), source: 'redis' },
      { protocol: 'throwy', path: join(dir, 'throws-on-import.js'), source: 'flag' },
      { protocol: 'lines', path: LINES, source: 'flag' },
    ]);
    const s = host.stats();
    assert.deepEqual(s.plugins.map((p) => p.protocol), ['lines']);
    assert.equal(s.loadFailures, 3);
    assert.ok(lines.some((l) => l.includes('--plugin gone=') && l.includes('does not exist')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('Redis clovisor_proto_cfg half') && l.includes('missing functions: newState')));
    assert.ok(lines.some((l) => l.includes('throwy') && l.includes('cannot start')));
    // a module whose top level never finishes is stopped by the load timeout
    const slow = new PluginHost(log, { loadTimeoutMs: 400 });
    await slow.configure([{ protocol: 'loopy', path: join(dir, 'loops-on-import.js'), source: 'flag' }]);
    assert.equal(slow.stats().loaded, 0);
    assert.ok(lines.some((l) => l.includes('loopy') && l.includes('loading took more than 400 ms')));
    await slow.close();
    // the failed entries are not retried on every periodic read (no log flood) until they change
    const before = lines.length;
    await host.configure([{ protocol: 'gone', path: join(dir, 'nope.js'), source: 'flag' }, { protocol: 'lines', path: LINES, source: 'flag' }]);
    assert.equal(lines.length, before);
  } finally {
    await host.close();
    await rm(dir, { recursive: true, force: true });
  }
});
