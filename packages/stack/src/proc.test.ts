// A starting JVM is ours all along: its brief chdir into /tmp/hsperfdata_<user> must not make
// waitReady report "exited during startup" (seen once with the schema registry before the fix).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { confirmOurProcess, isAlive, isOurProcess, spawnDetached, stopProcess, which } from './proc.js';

test('confirmOurProcess holds through a JVM start while a single isOurProcess can say no', { skip: which('java') === undefined && 'no java', timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clovisor-proc-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'Sleep.java'), 'class Sleep { public static void main(String[] a) throws Exception { Thread.sleep(2000); } }\n');
  let flickers = 0;
  for (let run = 0; run < 8; run++) {
    const marker = join(dir, 'Sleep.java');
    const pid = await spawnDetached('java', ['-Xmx64m', marker], { cwd: dir, logFile: join(dir, 'java.log') });
    const p = { pid, marker, cwd: dir };
    try {
      const until = Date.now() + 150;
      while (Date.now() < until) {
        if (isOurProcess(p)) continue;
        flickers++;
        assert.ok(isAlive(pid), 'the JVM runs');
        assert.equal(await confirmOurProcess(p), true, `run ${run}: a live JVM of ours was taken for another process`);
        break;
      }
    } finally {
      await stopProcess(pid, 2000);
    }
  }
  process.stderr.write(`# single isOurProcess said no during ${flickers} of 8 JVM starts\n`);
});
