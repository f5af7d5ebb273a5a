// HPACK against the examples of RFC 7541 Appendix C (C.2 single fields, C.3/C.4 requests without
// and with Huffman, C.5/C.6 responses with a 256-byte table and evictions), plus bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamicTable, decodeHeaderBlock, type FieldSink } from './hpack.js';
import { huffmanDecode } from './huffman.js';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './huffman-table.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decode(block: string, table: DynamicTable): { fields: [string, string][]; unknown: number; error: string | null } {
  const fields: [string, string][] = [];
  let unknown = 0;
  const sink: FieldSink = { field: (n, v) => { fields.push([n, v]); }, unknown: () => { unknown++; } };
  const buf = hex(block);
  const error = decodeHeaderBlock(buf, 0, buf.length, table, sink);
  return { fields, unknown, error };
}

function expectBlock(table: DynamicTable, block: string, fields: [string, string][], tableSize: number): void {
  const r = decode(block, table);
  assert.equal(r.error, null);
  assert.deepEqual(r.fields, fields);
  assert.equal(table.size, tableSize);
}

test('C.2: literal with/without/never indexing, indexed field', () => {
  const t = new DynamicTable();
  expectBlock(t, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', [['custom-key', 'custom-header']], 55);
  const t2 = new DynamicTable();
  expectBlock(t2, '040c 2f73 616d 706c 652f 7061 7468', [[':path', '/sample/path']], 0);
  expectBlock(t2, '1008 7061 7373 776f 7264 0673 6563 7265 74', [['password', 'secret']], 0);
  expectBlock(t2, '82', [[':method', 'GET']], 0);
});

const REQ1: [string, string][] = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const REQ2: [string, string][] = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: [string, string][] = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];

test('C.3: three requests without Huffman share one dynamic table', () => {
  const t = new DynamicTable();
  expectBlock(t, '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', REQ1, 57);
  expectBlock(t, '8286 84be 5808 6e6f 2d63 6163 6865', REQ2, 110);
  expectBlock(t, '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', REQ3, 164);
  assert.equal(t.length, 3);
});

test('C.4: the same requests with Huffman', () => {
  const t = new DynamicTable();
  expectBlock(t, '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', REQ1, 57);
  expectBlock(t, '8286 84be 5886 a8eb 1064 9cbf', REQ2, 110);
  expectBlock(t, '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', REQ3, 164);
});

const LOC: [string, string] = ['location', 'https://www.example.com'];
const RES1: [string, string][] = [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], LOC];
const RES2: [string, string][] = [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], LOC];
const RES3: [string, string][] = [[':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], LOC,
  ['content-encoding', 'gzip'], ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1']];

test('C.5: responses without Huffman, 256-byte table, evictions', () => {
  const t = new DynamicTable();
  t.setMaxSize(256);
  expectBlock(t, `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
    2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`, RES1, 222);
  expectBlock(t, '4803 3330 37c1 c0bf', RES2, 222);
  expectBlock(t, `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
    54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49
    553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`, RES3, 215);
  assert.equal(t.length, 3);
});

test('C.6: the same responses with Huffman', () => {
  const t = new DynamicTable();
  t.setMaxSize(256);
  expectBlock(t, `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
    2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`, RES1, 222);
  expectBlock(t, '4883 640e ffc1 c0bf', RES2, 222);
  expectBlock(t, `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
    77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed
    4ee5 b106 3d50 07`, RES3, 215);
});

test('Huffman: padding longer than 7 bits, padding with zeros, or EOS is an error', () => {
  assert.equal(huffmanDecode(hex('f1e3c2e5f23a6ba0ab90f4ff'), 0, 12), 'www.example.com');
  assert.equal(huffmanDecode(hex('f1e3c2e5f23a6ba0ab90f4ffff'), 0, 13), null); // 8+ padding bits
  assert.equal(huffmanDecode(hex('f1e3c2e5f23a6ba0ab90f4fe'), 0, 12), null); // padding not all ones
  assert.equal(huffmanDecode(hex('ffffffff'), 0, 4), null); // EOS (30 ones)
});

test('bad blocks are errors, not exceptions: index 0, past the table, truncation, huge size update', () => {
  for (const b of ['80', 'ff00', 'be', '41', '410a6162', '3fe1ffff7f', 'ffffffffff7f', '400a']) {
    const r = decode(b, new DynamicTable());
    assert.notEqual(r.error, null, b);
  }
});

test('after a gap only entries inserted since are trusted; older references are unknown', () => {
  const t = new DynamicTable();
  expectBlock(t, '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', REQ1, 57);
  t.lose();
  const r = decode('be', t); // :authority entry from before the gap
  assert.deepEqual([r.error, r.fields, r.unknown], [null, [], 1]);
  expectBlock(t, '5808 6e6f 2d63 6163 6865', [['cache-control', 'no-cache']], 53);
  const r2 = decode('bebf', t); // 62 = the new entry, 63 = lost
  assert.deepEqual([r2.error, r2.fields, r2.unknown], [null, [['cache-control', 'no-cache']], 1]);
});

test('Huffman: every byte value round-trips (encoded here from the RFC table, EOS-padded)', () => {
  const input = Buffer.from(Array.from({ length: 3 * 256 }, (_, i) => (i * 7) % 256));
  const bits: number[] = [];
  for (const b of input) {
    const code = HUFFMAN_CODES[b] as number;
    for (let i = (HUFFMAN_LENGTHS[b] as number) - 1; i >= 0; i--) bits.push(Math.floor(code / 2 ** i) % 2);
  }
  while (bits.length % 8 !== 0) bits.push(1);
  const bytes = Buffer.alloc(bits.length / 8);
  bits.forEach((bit, i) => { bytes[i >> 3] = (bytes[i >> 3] as number) | (bit << (7 - (i & 7))); });
  assert.equal(huffmanDecode(bytes, 0, bytes.length), input.toString('latin1'));
});
