import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withLock } from './lock.js';

function dir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'clovisor-lock-test-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('holders run one at a time and the lock file is removed afterwards', async (t) => {
  const d = dir(t);
  let inside = 0;
  let maxInside = 0;
  const work = async (): Promise<void> => {
    inside++;
    maxInside = Math.max(maxInside, inside);
    assert.equal(readFileSync(join(d, 'stack.lock'), 'utf8').trim(), String(process.pid));
    await new Promise((r) => setTimeout(r, 50));
    inside--;
  };
  await Promise.all([withLock(d, work), withLock(d, work), withLock(d, work)]);
  assert.equal(maxInside, 1);
  assert.equal(existsSync(join(d, 'stack.lock')), false);
});

test('a lock left by a dead process is taken over', async (t) => {
  const d = dir(t);
  // The pid of a process that has certainly exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(join(d, 'stack.lock'), `${dead}\n`);
  const got = await withLock(d, async () => 'ran', 2_000);
  assert.equal(got, 'ran');
});

test('a lock held by a live process times out with a LOCK_TIMEOUT error naming it', async (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'stack.lock'), '1\n'); // pid 1 is always alive
  await assert.rejects(withLock(d, async () => 'never', 500), (e: unknown) => (e as { code?: string }).code === 'LOCK_TIMEOUT' && (e as Error).message.includes('pid 1'));
});
