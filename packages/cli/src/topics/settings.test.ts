import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topics } from '@clovisor/core';
import { DEFAULTS, configEntries, describedTopic, formatRetention, kindOf, parseRetention, resolveSettings } from './settings.js';

test('parseRetention / formatRetention', () => {
  assert.equal(parseRetention('36h'), 36 * 3_600_000);
  assert.equal(parseRetention('3d'), 3 * 86_400_000);
  assert.equal(parseRetention('2w'), 14 * 86_400_000);
  assert.equal(parseRetention('30m'), 1_800_000);
  assert.equal(parseRetention('forever'), -1);
  for (const bad of ['3', '3 days', '10s', 'd', '-2h']) assert.throws(() => parseRetention(bad), /--retention/, bad);
  assert.equal(formatRetention(7 * 86_400_000), '1w');
  assert.equal(formatRetention(36 * 3_600_000), '36h');
  assert.equal(formatRetention(-1), 'forever');
});

test('kindOf: short names and full names (with the suffix)', () => {
  assert.equal(kindOf('spans'), 'spans');
  assert.equal(kindOf(Topics.deadletter), 'deadletter');
  assert.throws(() => kindOf('clovisor.metrics.v1'), /--topic "clovisor.metrics.v1": expected one of segments, int, transactions, spans, deadletter/);
});

test('resolveSettings: all five with their defaults; flags override every topic selected', () => {
  const all = resolveSettings({}, 3);
  assert.deepEqual(all.map((s) => s.topic), Object.values(Topics));
  for (const s of all) {
    assert.equal(s.partitions, 3);
    assert.equal(s.replicationFactor, -1);
    assert.equal(s.retentionMs, DEFAULTS[s.kind].retentionMs);
    assert.equal(s.compression, DEFAULTS[s.kind].compression);
  }
  assert.ok(DEFAULTS.segments.retentionMs < DEFAULTS.spans.retentionMs, 'raw captures are kept for less time than spans');
  const some = resolveSettings({ topic: ['spans', 'spans', 'deadletter'], partitions: '6', retention: '2d', compression: 'none', 'replication-factor': '1' }, 3);
  assert.deepEqual(some.map((s) => [s.kind, s.partitions, s.retentionMs, s.compression, s.replicationFactor]), [
    ['spans', 6, 2 * 86_400_000, 'none', 1], ['deadletter', 6, 2 * 86_400_000, 'none', 1],
  ]);
  assert.deepEqual(configEntries(some[0]!), [
    { name: 'retention.ms', value: String(2 * 86_400_000) }, { name: 'compression.type', value: 'uncompressed' }, { name: 'cleanup.policy', value: 'delete' },
  ]);
});

test('resolveSettings: codecs KafkaJS cannot read are refused on the topics the stages read', () => {
  for (const codec of ['lz4', 'snappy', 'zstd']) {
    assert.throws(() => resolveSettings({ compression: codec }, 3), new RegExp(`--compression ${codec} on clovisor\\.segments\\.v1`));
    assert.throws(() => resolveSettings({ topic: ['transactions'], compression: codec }, 3), /read gzip only/);
    assert.equal(resolveSettings({ topic: ['deadletter'], compression: codec }, 3)[0]!.compression, codec);
  }
  assert.throws(() => resolveSettings({ compression: 'brotli' }, 3), /--compression "brotli"/);
  assert.throws(() => resolveSettings({ partitions: '0' }, 3), /--partitions "0"/);
  assert.throws(() => resolveSettings({ 'replication-factor': 'two' }, 3), /--replication-factor "two"/);
});

test('describedTopic: the five topics and their replays', () => {
  assert.equal(describedTopic('spans'), Topics.spans);
  assert.equal(describedTopic(`${Topics.spans}.replay-incident-42`), `${Topics.spans}.replay-incident-42`);
  assert.throws(() => describedTopic('other.topic.replay-x'), /--topic "other.topic.replay-x"/);
  assert.throws(() => describedTopic(`${Topics.spans}.replay-a/b`), /--topic/);
});
