// tc attach/detach on the real kernel: coexistence with foreign filters, replacing stale filters
// of a crashed run, idempotent detach, error advice.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CAPTURE_OBJECT_PATH, CaptureProgram } from './capture-abi.js';
import { BpfError } from './errors.js';
import { openHandleCount, openHandles } from './handles.js';
import { BpfObject } from './object.js';
import { ifindexOf } from './system.js';
import { detachTc, queryTc, TC_HANDLE, TC_PRIORITY } from './tc.js';
import { createNetnsPair, isRoot, run, tcFilters, type NetnsPair } from './testing/netns.js';

/** Program ids of our filters (pref 3088, handle 0xc1) in `tc filter show` output. */
async function ourFilterIds(dev: string, hook: 'ingress' | 'egress'): Promise<number[]> {
  const ids: number[] = [];
  for (const line of await tcFilters(dev, hook)) {
    const m = /pref (\d+) bpf .*handle (0x[0-9a-f]+) .* id (\d+)/.exec(line);
    if (m && Number(m[1]) === TC_PRIORITY && Number(m[2]) === TC_HANDLE) ids.push(Number(m[3]));
  }
  return ids;
}

/** Attaches both programs in a child process that then dies by SIGKILL, leaving filters behind. */
async function crashAfterAttach(ifindex: number): Promise<void> {
  const index = new URL('./index.js', import.meta.url).href;
  const script = `
    const { BpfObject, CAPTURE_OBJECT_PATH } = await import(${JSON.stringify(index)});
    const o = BpfObject.open(CAPTURE_OBJECT_PATH);
    o.attachTc('capture_ingress', ${ifindex}, 'ingress');
    o.attachTc('capture_egress', ${ifindex}, 'egress');
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL', `crash helper should die by SIGKILL after attaching: ${stderr}`);
}

describe('tc attach/detach', { skip: !isRoot() && 'needs root (CAP_BPF + CAP_NET_ADMIN)' }, () => {
  let pair: NetnsPair | undefined;
  let dev = '';
  let ifindex = 0;

  before(async () => {
    pair = await createNetnsPair();
    dev = pair.hostIf;
    ifindex = pair.ifindex;
  });

  after(async () => {
    await pair?.destroy();
    assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
  });

  test('a foreign filter survives our attach + detach, and so does the clsact qdisc', async () => {
    await run('tc', ['qdisc', 'add', 'dev', dev, 'clsact']);
    await run('tc', ['filter', 'add', 'dev', dev, 'ingress', 'prio', '1', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'classid', '1:1']);
    const foreign = (await tcFilters(dev, 'ingress')).filter((l) => l.includes('pref 1 u32'));
    assert.ok(foreign.length > 0, 'foreign u32 filter present');

    const obj = BpfObject.open(CAPTURE_OBJECT_PATH);
    try {
      const inLink = obj.attachTc(CaptureProgram.INGRESS, ifindex, 'ingress');
      const outLink = obj.attachTc(CaptureProgram.EGRESS, ifindex, 'egress');
      assert.deepEqual(await ourFilterIds(dev, 'ingress'), [inLink.progId]);
      assert.deepEqual(await ourFilterIds(dev, 'egress'), [outLink.progId]);
      assert.ok((await tcFilters(dev, 'ingress')).some((l) => l.includes('capture_ingress')));
      assert.equal(queryTc(ifindex, 'ingress'), inLink.progId);

      assert.equal(inLink.detach(), true);
      assert.equal(inLink.detach(), false, 'second detach is a no-op');
      assert.equal(outLink.detach(), true);
    } finally {
      obj.close();
    }
    assert.deepEqual(await ourFilterIds(dev, 'ingress'), []);
    assert.deepEqual(await ourFilterIds(dev, 'egress'), []);
    assert.deepEqual((await tcFilters(dev, 'egress')), [], 'egress: nothing of ours left');
    assert.deepEqual((await tcFilters(dev, 'ingress')).filter((l) => l.includes('pref 1 u32')), foreign, 'foreign filter untouched');
    assert.match(await run('tc', ['qdisc', 'show', 'dev', dev]), /qdisc clsact/, 'clsact qdisc kept');
    assert.equal(queryTc(ifindex, 'ingress'), null);
  });

  test('attaching again replaces our filter instead of stacking; an outdated link does not remove the new one', async () => {
    const first = BpfObject.open(CAPTURE_OBJECT_PATH);
    const second = BpfObject.open(CAPTURE_OBJECT_PATH);
    try {
      const old = first.attachTc(CaptureProgram.EGRESS, ifindex, 'egress');
      const cur = second.attachTc(CaptureProgram.EGRESS, ifindex, 'egress');
      assert.notEqual(old.progId, cur.progId);
      assert.deepEqual(await ourFilterIds(dev, 'egress'), [cur.progId], 'exactly one filter of ours, the newest');
      assert.equal(old.detach(), false, 'the replaced link leaves the newer filter alone');
      assert.deepEqual(await ourFilterIds(dev, 'egress'), [cur.progId]);
      assert.equal(cur.detach(), true);
      assert.deepEqual(await ourFilterIds(dev, 'egress'), []);
    } finally {
      first.close();
      second.close();
    }
  });

  test('filters left by a crashed run are replaced on attach, or removed by detachTc', async () => {
    await crashAfterAttach(ifindex);
    const leftIn = await ourFilterIds(dev, 'ingress');
    assert.equal(leftIn.length, 1, 'the crashed run left an ingress filter');
    assert.equal(queryTc(ifindex, 'ingress'), leftIn[0]);

    const obj = BpfObject.open(CAPTURE_OBJECT_PATH);
    try {
      const link = obj.attachTc(CaptureProgram.INGRESS, ifindex, 'ingress');
      assert.deepEqual(await ourFilterIds(dev, 'ingress'), [link.progId], 'leftover replaced, not stacked');
    } finally {
      obj.close(); // detaches its link
    }
    assert.deepEqual(await ourFilterIds(dev, 'ingress'), []);

    assert.equal((await ourFilterIds(dev, 'egress')).length, 1, 'egress leftover still there');
    assert.equal(detachTc(ifindex, 'egress'), true);
    assert.equal(detachTc(ifindex, 'egress'), false, 'already gone');
    assert.deepEqual(await ourFilterIds(dev, 'egress'), []);
  });

  test('obj.close() detaches links and closes readers; everything is idempotent', async () => {
    const obj = BpfObject.open(CAPTURE_OBJECT_PATH);
    const link = obj.attachTc(CaptureProgram.INGRESS, ifindex, 'ingress');
    const reader = obj.openRingReader('events', () => undefined);
    assert.equal(openHandleCount(), 3);
    obj.close();
    obj.close();
    assert.equal(openHandleCount(), 0);
    assert.equal(link.isAttached, false);
    assert.equal(link.detach(), false);
    assert.equal(reader.closed, true);
    reader.close();
    assert.deepEqual(await ourFilterIds(dev, 'ingress'), []);
    assert.throws(() => obj.map('ports'), (e: unknown) => e instanceof BpfError && e.code === 'EBADF');
    assert.throws(() => obj.attachTc(CaptureProgram.INGRESS, ifindex, 'ingress'), (e: unknown) => e instanceof BpfError && e.code === 'EBADF');
  });

  test('detaching from an interface without clsact or that does not exist is "already gone"', () => {
    assert.equal(detachTc(ifindex, 'egress', { priority: 0x777 }), false);
    assert.equal(queryTc(0x7ffffff0, 'ingress'), null);
    assert.equal(detachTc(0x7ffffff0, 'ingress'), false);
  });

  test('errors tell the user what to do', () => {
    const obj = BpfObject.open(CAPTURE_OBJECT_PATH);
    try {
      assert.throws(() => obj.attachTc(CaptureProgram.INGRESS, 0x7ffffff0, 'ingress'), (e: unknown) =>
        e instanceof BpfError && e.code === 'ENODEV' && /check `ip link`/.test(e.message));
      assert.throws(() => obj.attachTc('nope', ifindex, 'ingress'), (e: unknown) =>
        e instanceof BpfError && e.code === 'ENOENT' && /capture_ingress, capture_egress/.test(e.message));
      assert.throws(() => obj.attachTc(CaptureProgram.INGRESS, ifindex, 'ingress', { priority: 0 }), (e: unknown) =>
        e instanceof BpfError && e.code === 'EINVAL');
      assert.throws(() => obj.attachTc(CaptureProgram.INGRESS, ifindex, 'sideways' as 'ingress'), (e: unknown) =>
        e instanceof BpfError && e.code === 'EINVAL');
    } finally {
      obj.close();
    }
    assert.throws(() => ifindexOf('clvtnope0'), (e: unknown) =>
      e instanceof BpfError && e.code === 'ENODEV' && e.message === 'unknown interface clvtnope0: check `ip link`');
    assert.equal(ifindexOf(dev), ifindex);
    const missing = fileURLToPath(new URL('./no-such.bpf.o', import.meta.url));
    assert.throws(() => BpfObject.open(missing), (e: unknown) =>
      e instanceof BpfError && e.code === 'ENOENT' && /run the build/.test(e.message));
  });
});
