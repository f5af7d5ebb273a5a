// The example plugin of examples/plugins/memcached-text against bytes recorded from a real
// memcached (fixtures/get-set-delete.pcapng): its parser alone, then loaded through the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLogger, type SegmentBatch } from '@clovisor/core';
import { readCaptureFile } from '../io/pcap/index.js';
import type { Direction } from '../protocols/protocol.js';
import { PluginHost } from './host.js';
import { checkPluginModule } from './load.js';
import type { PluginProtocol } from './types.js';

const EXAMPLE = new URL('../../../../examples/plugins/memcached-text/', import.meta.url);
const EXPECTED = [
  ['set', '1', 'STORED'], ['get', '1', 'VALUE'], ['get', '3', 'VALUE'], ['delete', '1', 'DELETED'],
  ['delete', '1', 'NOT_FOUND'], ['get', '1', 'END'], ['set', '1', 'STORED'], ['get', '1', 'VALUE'],
];

async function recorded(): Promise<SegmentBatch[]> {
  const bytes = await readFile(new URL('fixtures/get-set-delete.pcapng', EXAMPLE));
  const { batches } = readCaptureFile(bytes, { serverPorts: [11299], protocolHint: 'memcached' });
  assert.ok(batches.length > 0, 'the fixture holds the memcached flow');
  return batches;
}

/** Every frame of one direction, fed in chunks of `chunk` bytes as a driver would. */
function framesOf(plugin: PluginProtocol, direction: Direction, bytes: Buffer, chunk: number): unknown[] {
  const state = plugin.newState();
  const frames: unknown[] = [];
  let held = Buffer.alloc(0);
  for (let off = 0; off < bytes.length; off += chunk) {
    held = Buffer.concat([held, bytes.subarray(off, off + chunk)]);
    for (;;) {
      const r = plugin.parseFrame(direction, held, state, false);
      if (r.kind === 'success') { frames.push(r.frame); held = held.subarray(r.consumed); continue; }
      if (r.kind === 'needs-more-data') { held = held.subarray(r.absorbed); break; }
      assert.fail(`${direction} at ${off}: ${JSON.stringify(r)}`);
    }
  }
  assert.equal(held.length, 0);
  return frames;
}

async function load(): Promise<PluginProtocol> {
  const checked = checkPluginModule(await import(new URL('index.js', EXAMPLE).href) as Record<string, unknown>);
  assert.ok(checked.ok, checked.ok ? '' : checked.reason);
  return checked.plugin;
}

test('memcached-text parses the recorded bytes, whole and split at every size', async () => {
  const plugin = await load();
  const segments = (await recorded()).flatMap((b) => b.segments);
  const req = Buffer.concat(segments.filter((s) => s.fromClient).map((s) => s.payload));
  const res = Buffer.concat(segments.filter((s) => !s.fromClient).map((s) => s.payload));
  const whole = { request: framesOf(plugin, 'request', req, req.length), response: framesOf(plugin, 'response', res, res.length) };
  assert.equal(whole.request.length, 8);
  assert.equal(whole.response.length, 8);
  assert.deepEqual(whole.request[2], { command: 'get', keys: ['k', 'missing', 'other'], noreply: false, dataBytes: 0 });
  assert.deepEqual(whole.response[7], { result: 'VALUE', values: 1, stats: 0, valueBytes: 11, message: null });
  for (const chunk of [1, 2, 3, 7, 13]) {
    assert.deepEqual(framesOf(plugin, 'request', req, chunk), whole.request, `requests in ${chunk}-byte pieces`);
    assert.deepEqual(framesOf(plugin, 'response', res, chunk), whole.response, `responses in ${chunk}-byte pieces`);
  }
  // resync: the next command line after garbage
  const junk = Buffer.concat([Buffer.from('xx\r\n'), req]);
  assert.equal(plugin.findFrameBoundary('request', junk, 1), 4);
});

test('memcached-text loaded through the host (real worker) turns the recorded flow into transactions', async () => {
  const host = new PluginHost(createLogger('memcached-test', () => undefined));
  try {
    await host.configure([{ protocol: 'memcached', path: fileURLToPath(new URL('index.js', EXAMPLE)), source: 'flag' }]);
    const txs = [];
    for (const batch of await recorded()) {
      assert.equal(host.route(batch), 'memcached');
      const r = await host.process('memcached', batch);
      assert.equal(r.failure, null);
      txs.push(...r.transactions);
    }
    txs.push(...(await host.flush()));
    assert.deepEqual(txs.map((t) => [t.attributes['memcached.command'], t.attributes['memcached.key_count'], t.attributes['memcached.result']]), EXPECTED);
    assert.ok(txs.every((t) => t.protocol === 'memcached' && t.complete && t.server.port === 11299));
    assert.equal(txs[7]!.attributes['memcached.key'], 'big');
    assert.equal(txs[7]!.attributes['memcached.hits'], '1');
    assert.equal(host.route({ ...(await recorded())[0]!, protocolHint: null, server: { address: '127.0.0.1', port: 11211 } }), 'memcached', 'by the plugin\'s default port');
  } finally {
    await host.close();
  }
});
