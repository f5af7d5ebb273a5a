// StageConsumer on the real broker, the handler's outcomes: `seekTo` reads the partition again
// from there, `commit` commits that offset instead of the batch's end (a restarted group resumes
// there); onAssignment reports the partitions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StageConsumer, type BatchOutcome, type ConsumedRecord } from './consumer.js';
import { withTestTopic, until } from './topic-fixture.js';

test('handler outcomes: seekTo rereads, commit sets the resume point', async () => {
  await withTestTopic('outcome', async ({ kafka, log, topic, groupId, producer }) => {
    await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: Buffer.from(`v${i}`) })));
    const firstOffsets: string[] = [];
    const assigned: number[][] = [];
    let calls = 0;
    const handle = async (records: ConsumedRecord[]): Promise<BatchOutcome> => {
      calls++;
      firstOffsets.push(records[0]!.offset);
      if (calls === 1) return { seekTo: '3' };
      return { commit: '6' }; // as if the records from 6 on were still held back
    };
    const first = new StageConsumer(kafka, { groupId, topic, handle, onAssignment: (ps) => assigned.push(ps) }, log);
    await first.start();
    await until(() => calls >= 2, 30_000);
    await first.stop();
    assert.equal(firstOffsets[0], '0');
    assert.equal(firstOffsets[1], '3', 'read again from the offset the handler asked for');
    assert.deepEqual(assigned.at(-1), [0]);

    const resumedAt: string[] = [];
    const second = new StageConsumer(kafka, { groupId, topic, handle: async (rs) => void resumedAt.push(rs[0]!.offset) }, log);
    await second.start();
    await until(() => resumedAt.length >= 1, 30_000);
    await second.stop();
    assert.equal(resumedAt[0], '6', 'the group resumes at the offset the handler committed, not the batch end');
  });
});
