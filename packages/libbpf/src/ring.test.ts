// The native ring reader against the real capture program: batch framing limits, bounded queue
// with counted drops when JS is slow, close() from inside the callback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { forEachRecord } from './batch.js';
import { CaptureMap } from './capture-abi.js';
import { readCaptureCounters } from './capture-counters.js';
import { BpfError } from './errors.js';
import { openHandleCount, openHandles } from './handles.js';
import { BpfObject } from './object.js';
import { captureFixture, curl, isRoot, waitFor, type CaptureFixture, type HttpServer, type NetnsPair } from './testing/netns.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RingReader', { skip: !isRoot() && 'needs root (CAP_BPF + CAP_NET_ADMIN)' }, () => {
  let pair: NetnsPair | undefined;
  let server: HttpServer | undefined;
  let obj: BpfObject | undefined;
  let fixture: CaptureFixture | undefined;

  before(async () => {
    fixture = await captureFixture();
    ({ pair, server, obj } = fixture);
  });

  after(async () => {
    await fixture?.close();
    assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
  });

  test('batches respect maxBatchBytes; an oversized record gets a batch of its own', async () => {
    const batches: { bytes: number; count: number }[] = [];
    const reader = obj!.openRingReader(CaptureMap.EVENTS, (batch, count) => {
      assert.equal(forEachRecord(batch, () => undefined), count);
      batches.push({ bytes: batch.length, count });
    }, { maxBatchBytes: 4096 });
    try {
      await curl(pair!.peerIp4, server!.port, '/big'); // response records are 72 + 4096 bytes
      await waitFor(() => batches.some((b) => b.bytes > 4096), 3000, 'an oversized record');
      for (const b of batches) assert.ok(b.bytes <= 4096 || b.count === 1, `batch of ${b.bytes} bytes holds ${b.count} records`);
    } finally {
      reader.close();
    }
  });

  test('a stalled JS thread makes the bounded queue drop whole batches, and every record is accounted for', async () => {
    let delivered = 0;
    const reader = obj!.openRingReader(CaptureMap.EVENTS, (_batch, count) => { delivered += count; }, {
      maxBatchBytes: 4096,
      maxQueuedBatches: 1,
    });
    const lostBefore = readCaptureCounters(obj!).lost;
    try {
      const url = `http://${pair!.peerIp4}:${server!.port}/`;
      const gen = spawn('sh', ['-c', `for i in $(seq 40); do curl -s -o /dev/null ${url}; done`], { stdio: 'ignore' });
      const done = new Promise<number | null>((resolve) => gen.once('exit', (code) => resolve(code)));
      // Block the JS thread while traffic flows: the poller keeps reading, the queue (1) fills.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
      assert.equal(await done, 0);
      await sleep(300);
      const s = reader.stats();
      assert.ok(s.droppedBatches > 0, `expected dropped batches, stats ${JSON.stringify(s)}`);
      assert.ok(s.droppedRecords >= s.droppedBatches);
      assert.ok(delivered > 0, 'the queued batch was still delivered');
    } finally {
      reader.close();
    }
    const f = reader.stats();
    assert.equal(f.records, delivered + f.droppedRecords + f.discardedRecords, `accounting: ${JSON.stringify(f)} delivered ${delivered}`);
    assert.equal(readCaptureCounters(obj!).lost, lostBefore, 'the kernel ring itself lost nothing');
  });

  test('close() from inside the callback stops delivery', async () => {
    let calls = 0;
    const reader = obj!.openRingReader(CaptureMap.EVENTS, () => {
      calls++;
      reader.close();
    });
    await curl(pair!.peerIp4, server!.port, '/');
    await waitFor(() => calls > 0, 3000, 'a first batch');
    await curl(pair!.peerIp4, server!.port, '/');
    await sleep(300);
    assert.equal(calls, 1);
    assert.equal(reader.closed, true);
  });

  test('a throwing callback is counted and reported to onError', async () => {
    const errors: unknown[] = [];
    const reader = obj!.openRingReader(CaptureMap.EVENTS, () => { throw new Error('decoder bug'); }, { onError: (e) => errors.push(e) });
    try {
      await curl(pair!.peerIp4, server!.port, '/');
      await waitFor(() => errors.length > 0, 3000, 'a callback error');
      assert.equal(reader.stats().callbackErrors, errors.length);
      assert.equal((errors[0] as Error).message, 'decoder bug');
    } finally {
      reader.close();
    }
  });

  test('bad arguments are refused', () => {
    assert.throws(() => obj!.openRingReader(CaptureMap.PORTS, () => undefined), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
    assert.throws(() => obj!.openRingReader('nope', () => undefined), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
    assert.throws(() => obj!.openRingReader(CaptureMap.EVENTS, () => undefined, { maxQueuedBatches: 0 }), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
    assert.throws(() => obj!.openRingReader(CaptureMap.EVENTS, () => undefined, { maxBatchBytes: 10 }), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
  });
});
