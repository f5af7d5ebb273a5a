import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_ID, TRACE_ID, httpTransaction, withHeaders } from '../testing/transactions.js';
import { spanKey, transactionKey } from './keys.js';
import { buildSpan } from './span-builder.js';

test('transactionKey: x-request-id, else header trace id, else flow id', () => {
  assert.equal(transactionKey(httpTransaction()), REQUEST_ID);
  assert.equal(transactionKey(withHeaders({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })), TRACE_ID);
  assert.equal(transactionKey(withHeaders({ 'uber-trace-id': 'abc:1:0:1' })), 'abc'.padStart(32, '0'));
  assert.equal(transactionKey(withHeaders({})), 'f1a2b3c4d5e6f708');
  assert.equal(transactionKey(withHeaders({ 'x-request-id': 'x'.repeat(1000) })), 'f1a2b3c4d5e6f708', 'an oversized request id is not a key');
  assert.equal(transactionKey(httpTransaction({ http: null })), 'f1a2b3c4d5e6f708');
});

test('spanKey: the trace id', () => {
  assert.equal(spanKey(buildSpan(httpTransaction())), TRACE_ID);
});
