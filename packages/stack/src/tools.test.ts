/*
 * Missing prerequisites give one actionable line, not a stack trace. PATH is emptied for this
 * file's process only (node --test runs each file in its own process).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StackError, stackUp } from './index.js';
import { readState } from './state.js';
import { isolated, quiet } from './testing.js';

const savedPath = process.env.PATH;

async function withoutPath<T>(fn: () => Promise<T>): Promise<T> {
  process.env.PATH = '/nonexistent';
  try {
    return await fn();
  } finally {
    process.env.PATH = savedPath;
  }
}

function toolMissing(pattern: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof StackError, String(e));
    assert.equal(e.code, 'TOOL_MISSING');
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  };
}

test('no java: TOOL_MISSING that says to install Java 17+', async (t) => {
  const o = await isolated(t);
  await withoutPath(() =>
    assert.rejects(stackUp({ ...o, only: ['kafka'], log: quiet }), toolMissing(/^java not found on PATH; install Java 17\+/)),
  );
  assert.deepEqual(readState(o.stateDir).components, {});
});

test('no redis-server and no apt-get: TOOL_MISSING that names the package and CLOVISOR_REDIS_URL', async (t) => {
  const o = await isolated(t);
  await withoutPath(() =>
    assert.rejects(stackUp({ ...o, only: ['redis'], log: quiet }), toolMissing(/^redis-server not found on PATH; .*apt-get install redis-server.*CLOVISOR_REDIS_URL/)),
  );
});

test('no Jaeger binary in the cache and no go: TOOL_MISSING that says to install Go', async (t) => {
  const o = await isolated(t);
  const emptyCache = mkdtempSync(join(tmpdir(), 'clovisor-cache-test-'));
  t.after(() => rmSync(emptyCache, { recursive: true, force: true }));
  await withoutPath(() =>
    assert.rejects(stackUp({ ...o, cacheDir: emptyCache, only: ['jaeger'], log: quiet }), toolMissing(/^go not found on PATH; install Go 1\.24\+/)),
  );
});
