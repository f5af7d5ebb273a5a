// ensureTopics on the real broker: creates what is missing, leaves what exists, and survives
// several processes creating the same topics at once (stages started together do that). The
// retry against a broker still electing leaders is not provoked here: it cannot be on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createKafka } from './client.js';
import { ensureTopics } from './topics.js';
import { createLogger } from '../logger.js';

const brokers = (process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(',');
const log = createLogger('topics-test', () => undefined);

test('ensureTopics: missing topics created once, existing ones untouched, concurrent callers all succeed', async () => {
  const id = randomBytes(4).toString('hex');
  const names = [0, 1, 2].map((n) => `clovisor-test-ensure-${id}-${n}`);
  const clients = [0, 1, 2, 3].map((n) => createKafka(brokers, `topics-test-${n}`, log));
  const admin = clients[0]!.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: names[0]!, numPartitions: 2 }], waitForLeaders: true });
    const created = await Promise.all(clients.map((kafka) => ensureTopics(kafka, names.map((topic) => ({ topic, numPartitions: 3 })), 100)));
    // every caller may report a topic it found missing (they race); together exactly the new ones
    const all = created.flat().sort();
    assert.ok(all.length >= 2, `created: ${all.join(',')}`);
    assert.deepEqual([...new Set(all)].sort(), names.slice(1).sort());
    const meta = await admin.fetchTopicMetadata({ topics: names });
    const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    assert.deepEqual(partitions, { [names[0]!]: 2, [names[1]!]: 3, [names[2]!]: 3 }, 'the existing topic keeps its 2 partitions');
  } finally {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
    await admin.disconnect();
  }
});
