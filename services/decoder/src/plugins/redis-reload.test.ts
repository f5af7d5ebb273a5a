// Hot reload through a real Redis (our own redis-server on a spare port): the watcher starts
// while Redis is down and keeps going, loads the hash once Redis answers, reloads a plugin when
// its name is published, and unloads it when its entry is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { createLogger } from '@clovisor/core';
import { PluginHost } from './host.js';
import { PLUGIN_CONFIG_KEY, PLUGIN_RELOAD_CHANNEL, PluginConfigWatcher } from './redis-config.js';
import { flowBatch } from './test-batches.js';

const PORT = 6391;

/** A complete line-protocol plugin whose transactions say which version of the file ran. */
function pluginSource(version: string): string {
  return `const NL = 10;
export default {
  name: 'ver', portNames: ['ver'],
  newState: () => null,
  findFrameBoundary: (_d, b, from) => from,
  parseFrame(_d, b) { const e = b.indexOf(NL); return e < 0 ? { kind: 'needs-more-data', absorbed: 0 } : { kind: 'success', frame: b.toString('utf8', 0, e), consumed: e + 1 }; },
  absorbGap: () => 0,
  abandon: () => null,
  stitch(req, res) { const n = Math.min(req.length, res.length); return { transactions: req.slice(0, n).map((r, i) => ({ request: r, response: res[i], notes: [] })), leftover: { requests: req.slice(n), responses: res.slice(n) }, orphanResponses: 0 }; },
  describe: () => ({ attributes: { version: ${JSON.stringify(version)} } }),
};
`;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('plugins follow clovisor_proto_cfg and clovisor_proto_plugin_cfg_chan, and survive Redis being down', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'clovisor-reload-'));
  const path = join(dir, 'ver.js');
  await writeFile(path, pluginSource('1'));
  const lines: string[] = [];
  const log = createLogger('reload-test', (l) => lines.push(l));
  const host = new PluginHost(log);
  const watcher = new PluginConfigWatcher({ url: `redis://127.0.0.1:${PORT}`, periodMs: 60_000, startWaitMs: 300, onConfig: (redis, reload) => host.apply([], redis, reload) }, log);
  let server: ReturnType<typeof spawn> | null = null;
  const admin = createClient({ url: `redis://127.0.0.1:${PORT}` });
  admin.on('error', () => undefined);
  try {
    // Redis is not up yet: start() returns and says so, it does not throw.
    await watcher.start();
    assert.equal(watcher.stats().connected, false);
    assert.ok(lines.some((l) => l.includes('unreachable')), lines.join('\n'));
    server = spawn('redis-server', ['--port', String(PORT), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until('redis-server to listen', () => admin.connect().then(() => true, () => false));
    await admin.hSet(PLUGIN_CONFIG_KEY, 'ver', path);
    await until('the plugin from the hash', () => host.stats().loaded === 1);
    const version = async (id: string) => (await host.process('ver', flowBatch(id, [['q\n', 'r\n']], { hint: 'ver' }))).transactions[0]?.attributes['version'];
    assert.equal(await version('a'), '1');

    await writeFile(path, pluginSource('2'));
    assert.equal(await version('b'), '1', 'the loaded module stays until a reload is asked for');
    await until('the reload message to arrive', async () => {
      await admin.publish(PLUGIN_RELOAD_CHANNEL, 'ver');
      await new Promise((r) => setTimeout(r, 200));
      return host.stats().reloads >= 1;
    });
    assert.equal(await version('c'), '2');

    await admin.hDel(PLUGIN_CONFIG_KEY, 'ver');
    await admin.publish(PLUGIN_RELOAD_CHANNEL, 'ver');
    await until('the removed entry to unload', () => host.stats().loaded === 0);
    assert.ok(watcher.stats().reloadMessages >= 2);
  } finally {
    await watcher.stop();
    await host.close();
    await admin.disconnect().catch(() => undefined);
    server?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
