import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapsePath, httpSpanName } from './span-name.js';
import { parseHostHeader } from './host-header.js';

test('collapsePath: ids become {id}, words stay', () => {
  assert.equal(collapsePath(''), '/');
  assert.equal(collapsePath('/'), '/');
  assert.equal(collapsePath('/api/v1/orders/12345/items'), '/api/v1/orders/{id}/items');
  assert.equal(collapsePath('/u/550e8400-e29b-41d4-a716-446655440000'), '/u/{id}');
  assert.equal(collapsePath('/obj/5f2b6c1e9d3a4b7c8e0f1a2b'), '/obj/{id}');
  assert.equal(collapsePath('/deadbeefdeadbeefcafe'), '/deadbeefdeadbeefcafe', 'hex-looking words without a digit stay');
  assert.equal(collapsePath('/static/app.js'), '/static/app.js');
});

test('httpSpanName: method + collapsed path, or the decorator operation', () => {
  assert.equal(httpSpanName('POST', '/api/orders/7', null), 'POST /api/orders/{id}');
  assert.equal(httpSpanName('_OTHER', '/x', null), 'HTTP /x');
  assert.equal(httpSpanName('GET', '/x', 'route-1'), 'route-1');
});

test('parseHostHeader: names, ports, IPv6 literals and junk', () => {
  assert.deepEqual(parseHostHeader('example.com'), { host: 'example.com', port: null });
  assert.deepEqual(parseHostHeader('example.com:8080'), { host: 'example.com', port: 8080 });
  assert.deepEqual(parseHostHeader('[::1]:9000'), { host: '::1', port: 9000 });
  assert.deepEqual(parseHostHeader('[::1]'), { host: '::1', port: null });
  assert.deepEqual(parseHostHeader('example.com:'), { host: 'example.com', port: null });
  for (const bad of ['', ':80', 'a:b', 'a:70000', 'a:0', '::1', '[::1', '[::1]x']) assert.equal(parseHostHeader(bad), null, bad);
});
