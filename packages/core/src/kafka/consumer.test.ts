// StageConsumer on the real broker: every record handled exactly once on a fresh group when
// nothing fails, a failing batch retried (not skipped, not committed), and a restarted group
// resuming after what was committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StageConsumer, type ConsumedRecord } from './consumer.js';
import { withTestTopic, until } from './topic-fixture.js';

test('at-least-once consumption: exactly once without failures, retried on failure, resumes after commit', async () => {
  await withTestTopic('consumer', async ({ kafka, log, topic, groupId, producer }) => {
    await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) })));
    const seen: string[] = [];
    let failOnce = true;
    const handle = async (records: ConsumedRecord[]) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      seen.push(...records.map((r) => r.value!.toString()));
    };
    const first = new StageConsumer(kafka, { groupId, topic, handle }, log);
    await first.start();
    await until(() => seen.length >= 10, 30_000);
    await new Promise((r) => setTimeout(r, 2000)); // would a duplicate arrive?
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `v${i}`), 'each record once, in order, after the retry');
    assert.equal(first.stats().handlerFailures, 1);
    await first.stop();

    await producer.send(topic, [{ key: 'k10', value: Buffer.from('v10') }]);
    const second: string[] = [];
    const resumed = new StageConsumer(kafka, { groupId, topic, handle: async (rs) => void second.push(...rs.map((r) => r.value!.toString())) }, log);
    await resumed.start();
    await until(() => second.length >= 1, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    await resumed.stop();
    assert.deepEqual(second, ['v10'], 'a restarted group resumes after its committed offset');
  });
});
