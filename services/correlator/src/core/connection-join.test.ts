import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCaptureOf, httpTransaction } from '../testing/transactions.js';
import { ConnectionJoin, connectionKey } from './connection-join.js';
import { buildSpan } from './span-builder.js';

test('connectionKey: the same for both captures of a request, not for the next request', () => {
  const server = httpTransaction();
  assert.equal(connectionKey(clientCaptureOf(server)), connectionKey(server));
  assert.notEqual(connectionKey({ ...server, requestSeq: server.requestSeq + 1 }), connectionKey(server));
});

test('ConnectionJoin: a repeated key keeps the first CLIENT span and releases the older waiting SERVER span, counted', () => {
  const server = httpTransaction();
  const key = connectionKey(server);
  const j = new ConnectionJoin();
  const first = buildSpan(server);
  const second = buildSpan({ ...server, messageIndex: 9 });
  assert.deepEqual(j.server(key, first, 1n, 10n), []);
  assert.equal(j.oldestHeldOrigin(0n), 10n);
  assert.deepEqual(j.server(key, second, 2n, 11n), [{ span: first, origin: 10n }], 'released with its own origin');
  assert.equal(j.oldestHeldOrigin(0n), 11n);
  assert.equal(j.oldestHeldOrigin(12n), null, 'origins below the floor are not counted');
  assert.equal(j.stats().unjoinedDuplicate, 1);
  const clientA = buildSpan(clientCaptureOf(server));
  const clientB = buildSpan(clientCaptureOf(server, { messageIndex: 77 }));
  const joined = j.client(key, clientA, 3n);
  assert.equal(joined?.span.parentSpanId, clientA.spanId);
  assert.equal(joined?.origin, 11n, 'a joined SERVER span keeps the origin of its own transaction');
  assert.equal(j.oldestHeldOrigin(0n), null);
  assert.equal(j.client(key, clientB, 4n), null);
  assert.equal(j.stats().clientsDuplicate, 1);
  assert.equal(j.server(key, second, 5n)[0]?.span.parentSpanId, clientA.spanId, 'the first CLIENT span stays the parent');
  assert.equal(j.client(key, clientA, 6n), null, 'the same span again is no duplicate');
  assert.equal(j.stats().clientsDuplicate, 1);
});

test('ConnectionJoin: bad options are refused', () => {
  for (const bad of [{ windowMs: 0 }, { holdMs: -1 }, { capacity: 0 }, { holdCapacity: 1.5 }]) {
    assert.throws(() => new ConnectionJoin(bad), RangeError, JSON.stringify(bad));
  }
  assert.doesNotThrow(() => new ConnectionJoin({ holdMs: 0 }));
});
