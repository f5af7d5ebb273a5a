// The ndjson and table shapes of `pcap decode` on every recorded fixture of every protocol (the
// CLI end to end is in e2e/pcap.test.ts; here, in process, so every new fixture is covered at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transaction } from '@clovisor/core';
import { readCaptureFile } from '@clovisor/decoder';
import { decodeCaptureBatches } from './pcap-decode.js';
import { flatten, formatTable } from './pcap-output.js';

const FIXTURES = fileURLToPath(new URL('../../../../services/decoder/test-fixtures/', import.meta.url));

function decodeFixture(file: string): Transaction[] {
  const { batches } = readCaptureFile(readFileSync(join(FIXTURES, file)));
  const { transactions, stats } = decodeCaptureBatches(batches);
  assert.equal(stats.transactions, transactions.length, `${file}: every transaction counted is printed`);
  return transactions;
}

/** The fields each protocol's record must show at the top level of its line. */
function expectedFlat(tx: Transaction): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (tx.http) Object.assign(e, { path: tx.http.path, status: tx.http.statusCode, version: tx.http.version }, tx.grpc ? { httpMethod: tx.http.method } : { method: tx.http.method });
  if (tx.grpc) Object.assign(e, { service: tx.grpc.service, method: tx.grpc.method, grpcStatus: tx.grpc.grpcStatus });
  if (tx.dns) Object.assign(e, { name: tx.dns.name, type: tx.dns.type, rcode: tx.dns.rcode });
  if (tx.redis) Object.assign(e, { command: tx.redis.command });
  if (tx.postgres) Object.assign(e, { query: tx.postgres.query, tag: tx.postgres.tag });
  if (tx.kafka) Object.assign(e, { apiName: tx.kafka.apiName, apiVersion: tx.kafka.apiVersion, topics: tx.kafka.topics });
  return e;
}

const files = readdirSync(FIXTURES).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

test('ndjson: every fixture transaction flattens to the documented fields and survives JSON', () => {
  assert.ok(files.length >= 10, `fixtures: ${files.join(', ')}`);
  const protocols = new Set<string>();
  for (const file of files) {
    for (const tx of decodeFixture(file)) {
      protocols.add(tx.protocol);
      const line = JSON.parse(JSON.stringify(flatten(tx))) as Record<string, unknown>;
      const where = `${file} ${tx.id}`;
      assert.equal(line['protocol'], tx.protocol, where);
      assert.equal(line['transport'], tx.transport, where);
      assert.deepEqual(line['client'], { ...tx.client }, where);
      assert.deepEqual(line['server'], { ...tx.server }, where);
      assert.equal(line['startNs'], tx.requestStartNs.toString(), where);
      assert.equal(line['endNs'], (tx.responseEndNs ?? tx.requestEndNs).toString(), where);
      assert.equal(line['complete'], tx.complete, where);
      for (const [k, v] of Object.entries(expectedFlat(tx))) assert.deepEqual(line[k], v, `${where}: ${k}`);
    }
  }
  assert.ok(protocols.has('http'), `protocols decoded: ${[...protocols].join(', ')}`);
});

test('table: every fixture renders aligned, one row per transaction', () => {
  for (const file of files) {
    const txs = decodeFixture(file);
    const rows = formatTable(txs);
    assert.equal(rows.length, txs.length + 1, file);
    for (const column of ['PROTOCOL', 'CLIENT', 'SUMMARY', 'STATUS']) {
      const at = rows[0]!.indexOf(column);
      for (const row of rows.slice(1)) assert.equal(row.slice(at - 2, at), '  ', `${file}: column ${column} at ${at}: ${row}`);
    }
    assert.ok(rows.every((r) => r.length === rows[0]!.length), `${file}: durations right-aligned`);
    assert.ok(rows.every((r) => !/[\x00-\x1f]/.test(r)), `${file}: no control characters`);
  }
});

test('plugin attributes go to the top level, never over a core field', () => {
  const [tx] = decodeFixture('node-keepalive.pcap');
  assert.ok(tx);
  const line = flatten({ ...tx, attributes: { 'mqtt.topic': 'a/b', protocol: 'mqtt', method: 'PUBLISH' } });
  assert.equal(line['mqtt.topic'], 'a/b');
  assert.equal(line['protocol'], 'http');
  assert.equal(line['attr.protocol'], 'mqtt');
  assert.equal(line['method'], 'GET');
  assert.equal(line['attr.method'], 'PUBLISH');
  const plain = formatTable([{ ...tx, http: null, attributes: { 'mqtt.topic': 'a/b' } }]);
  assert.match(plain[1]!, /mqtt\.topic=a\/b/);
});
