import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_ID, TRACE_ID, httpTransaction, withHeaders } from '../testing/transactions.js';
import { spanKey, transactionKey } from './keys.js';
import { buildSpan } from './span-builder.js';

const CONNECTION = 'tcp:[10.244.1.17]:51234-[10.244.2.9]:8080';

test('transactionKey: x-request-id, else header trace id, else the connection', () => {
  assert.equal(transactionKey(httpTransaction()), REQUEST_ID);
  assert.equal(transactionKey(withHeaders({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })), TRACE_ID);
  assert.equal(transactionKey(withHeaders({ 'uber-trace-id': 'abc:1:0:1' })), 'abc'.padStart(32, '0'));
  assert.equal(transactionKey(withHeaders({})), CONNECTION);
  assert.equal(transactionKey(withHeaders({ 'x-request-id': 'x'.repeat(1000) })), CONNECTION, 'an oversized request id is not a key');
  assert.equal(transactionKey(httpTransaction({ http: null })), CONNECTION);
});

test('transactionKey: both captures of one request share a key, other connections do not', () => {
  const server = withHeaders({});
  const client = withHeaders({}, { flowId: '0badc0ffee000001', podRole: 'CLIENT', interfaceName: 'veth9f8e7d' });
  assert.equal(transactionKey(client), transactionKey(server));
  assert.notEqual(transactionKey(withHeaders({}, { client: { address: '10.244.1.17', port: 51235 } })), transactionKey(server));
  assert.equal(transactionKey(withHeaders({}, { client: { address: 'fd00::17', port: 51234 } })), 'tcp:[fd00::17]:51234-[10.244.2.9]:8080');
});

test('spanKey: the trace id', () => {
  assert.equal(spanKey(buildSpan(httpTransaction())), TRACE_ID);
});
