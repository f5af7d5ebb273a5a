// The message codec on real dnsmasq / dig / glibc datagrams (test-fixtures/record/record-dns.sh);
// expected values are what tshark decodes from the same files. Damaged variants are derived
// from the real bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { rng } from '../../test-support/streams.js';
import { parseMessage } from './codec.js';
import { rcodeName, typeName, type DnsMessage } from './types.js';

/** The UDP payloads of a fixture, in capture order. */
export function datagrams(name: string): Buffer[] {
  return fixtureBatches(name).filter((b) => b.transport === 'UDP').flatMap((b) => b.segments)
    .sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : 1)).map((s) => s.payload);
}

function whole(b: Buffer): DnsMessage {
  const r = parseMessage(b, 'whole');
  assert.equal(r.kind, 'ok', r.kind === 'bad' ? r.reason : r.kind);
  return (r as { message: DnsMessage }).message;
}

// tshark: id, response, rcode, name, type, answers (frame order of dns-udp.pcap).
const UDP: [number, boolean, number, string, number, string[]][] = [
  [0x645d, false, 0, 'svc.test', 1, []], [0x645d, true, 0, 'svc.test', 1, ['A 10.1.2.3']],
  [0x1a0b, false, 0, 'v6.svc.test', 28, []], [0x1a0b, true, 0, 'v6.svc.test', 28, ['AAAA fd00::1']],
  [0xcc71, false, 0, 'alias.svc.test', 1, []], [0xcc71, true, 0, 'alias.svc.test', 1, ['CNAME host.svc.test.', 'A 10.9.9.9']],
  [0x5a80, false, 0, 'txt.svc.test', 16, []], [0x5a80, true, 0, 'txt.svc.test', 16, ['TXT "hello" "world"']],
  [0xfb90, false, 0, 'nx.test', 1, []], [0xfb90, true, 3, 'nx.test', 1, []],
  [0x9db1, false, 0, 'other.test', 1, []], [0x9db1, true, 5, 'other.test', 1, []],
  [0xde24, false, 0, 'svc.test', 15, []], [0xde24, true, 0, 'svc.test', 15, ['MX 10 mail.svc.test.']],
  [0xf793, false, 0, '_http._tcp.svc.test', 33, []], [0xf793, true, 0, '_http._tcp.svc.test', 33, ['SRV 1 2 8080 svc.test.']],
  [0xcfd6, false, 0, '3.2.1.10.in-addr.arpa', 12, []], [0xcfd6, true, 0, '3.2.1.10.in-addr.arpa', 12, ['PTR svc.test.']],
  [0xd76f, false, 0, 'x.fail.test', 1, []],
];

test('every datagram of dns-udp.pcap: header, question, answers (EDNS OPT ignored)', () => {
  const ds = datagrams('dns-udp.pcap');
  assert.equal(ds.length, UDP.length);
  ds.forEach((d, i) => {
    const [id, response, rcode, name, type, answers] = UDP[i] as (typeof UDP)[number];
    const m = whole(d);
    assert.deepEqual([m.id, m.response, m.opcode, m.rcode, m.truncated, m.complete, m.answersDropped], [id, response, 0, rcode, false, true, 0], `#${i}`);
    assert.deepEqual(m.questions, [{ name, type, class: 1 }], `#${i}`);
    assert.deepEqual(m.answers, answers, `#${i}`);
  });
});

test('SOA answer, TC flag, queries without EDNS (dns-port53.pcap)', () => {
  const ds = datagrams('dns-port53.pcap');
  const soa = whole(ds[5] as Buffer);
  assert.deepEqual(soa.answers, ['SOA ns.svc.test. hostmaster.ns.svc.test. 1795433619 1200 180 1209600 600']);
  const tc = whole(ds[7] as Buffer);
  assert.deepEqual([tc.id, tc.response, tc.truncated, tc.answers], [0xbd27, true, true, []]);
  assert.deepEqual(whole(ds[1] as Buffer).questions, [{ name: 'both.svc.test', type: 28, class: 1 }]);
});

test('names of types and rcodes', () => {
  assert.deepEqual([1, 28, 5, 6, 16, 33, 65, 99].map(typeName), ['A', 'AAAA', 'CNAME', 'SOA', 'TXT', 'SRV', 'HTTPS', 'TYPE99']);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map(rcodeName), ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'RCODE9']);
});

/** The real CNAME response: question at 12, first answer's name a pointer (c0 0c) after it. */
function cnameResponse(): { b: Buffer; answerAt: number } {
  const b = Buffer.from(datagrams('dns-udp.pcap')[5] as Buffer);
  const answerAt = 12 + 'alias.svc.test'.length + 2 + 4;
  assert.deepEqual([b[answerAt], b[answerAt + 1]], [0xc0, 0x0c], 'the fixture compresses the answer name');
  return { b, answerAt };
}

function bad(b: Buffer, reason: RegExp): void {
  const r = parseMessage(b, 'whole');
  assert.equal(r.kind, 'bad');
  assert.match((r as { reason: string }).reason, reason);
}

test('compression: pointers to themselves, forwards, beyond the end, and a loop are invalid', () => {
  const { b, answerAt } = cnameResponse();
  const self = Buffer.from(b);
  self.writeUInt16BE(0xc000 | answerAt, answerAt);
  bad(self, /pointer/);
  const forward = Buffer.from(b);
  forward.writeUInt16BE(0xc000 | (answerAt + 12), answerAt);
  bad(forward, /pointer/);
  const beyond = Buffer.from(b);
  beyond.writeUInt16BE(0xc000 | 0x3fff, answerAt);
  bad(beyond, /pointer/);
  // A loop: the question name now ends with a pointer to its own start.
  const loop = Buffer.from(b);
  loop.writeUInt16BE(0xc00c, 12 + 1 + 'alias'.length);
  bad(loop, /pointer/);
  const reserved = Buffer.from(b);
  reserved[answerAt] = 0x40;
  bad(reserved, /reserved label type/);
});

test('absurd counts, lengths beyond the message, overlong names, malformed record data: invalid', () => {
  const { b } = cnameResponse();
  for (const at of [4, 6, 8, 10]) {
    const absurd = Buffer.from(b);
    absurd.writeUInt16BE(0xffff, at);
    bad(absurd, /counts exceed/);
  }
  const label = Buffer.from(b);
  label[12] = 63; // the first label now runs past the question
  assert.equal(parseMessage(label, 'whole').kind, 'bad');
  const rdLen = Buffer.from(b);
  // question 12..32; CNAME record 32..59 (pointer, 10 bytes, host.svc.test uncompressed); A at 59.
  const rdLenAt = 59 + 2 + 8;
  assert.equal(rdLen.readUInt16BE(rdLenAt), 4, 'the A record data length');
  rdLen.writeUInt16BE(0xff00, rdLenAt);
  bad(rdLen, /ends inside a section/);
  const aLen = Buffer.from(b);
  aLen.writeUInt16BE(3, rdLenAt); // an A record of 3 bytes
  assert.equal(parseMessage(aLen, 'whole').kind, 'bad');
  // 5 labels of 63 octets: 321 octets, more than a name may have.
  const long = Buffer.concat([b.subarray(0, 12), Buffer.concat(Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 0x61)]))), Buffer.from([0, 0, 1, 0, 1])]);
  long.writeUInt16BE(1, 4);
  long.fill(0, 6, 12);
  bad(long, /255 octets/);
  const opcode = Buffer.from(b);
  opcode[2] = (opcode[2] as number) | 0x78;
  bad(opcode, /opcode/);
});

test('unknown record types are "<TYPE> <len> bytes"', () => {
  const { b } = cnameResponse();
  const t = Buffer.from(b);
  const typeAt = 59 + 2; // the A record's type, after its 2-byte name pointer
  assert.equal(t.readUInt16BE(typeAt), 1);
  t.writeUInt16BE(99, typeAt);
  assert.deepEqual(whole(t).answers, ['CNAME host.svc.test.', 'TYPE99 4 bytes']);
});

test('every prefix of a real message: partial keeps what is there, whole rejects it', () => {
  for (const d of [...datagrams('dns-udp.pcap'), ...datagrams('dns-port53.pcap')]) {
    const full = whole(d);
    for (let n = 0; n < d.length; n++) {
      const cut = d.subarray(0, n);
      assert.equal(parseMessage(cut, 'whole').kind, 'bad', `prefix ${n}`);
      const p = parseMessage(cut, 'partial', d.length);
      if (n < 12) { assert.equal(p.kind, 'short'); continue; }
      assert.equal(p.kind, 'ok', `prefix ${n}`);
      const m = (p as { message: DnsMessage }).message;
      assert.equal(m.id, full.id);
      assert.ok(m.answers.length <= full.answers.length);
      // The OPT record ends every message but the TC one and glibc's: complete only at the end.
      if (m.complete) assert.deepEqual(m.answers, full.answers);
    }
  }
  // The declared length bounds the counts of a cut message too.
  const d = datagrams('dns-udp.pcap')[1] as Buffer;
  const absurd = Buffer.from(d.subarray(0, 20));
  absurd.writeUInt16BE(0x4000, 6);
  assert.equal(parseMessage(absurd, 'partial', d.length).kind, 'bad');
  assert.equal(parseMessage(absurd, 'partial').kind, 'ok');
});

test('garbage never throws and is rarely a message', () => {
  const r = rng(53);
  let ok = 0;
  for (let i = 0; i < 3000; i++) {
    const g = Buffer.from(Array.from({ length: 12 + Math.floor(r() * 80) }, () => Math.floor(r() * 256)));
    if (parseMessage(g, 'whole').kind === 'ok') ok++;
    parseMessage(g, 'partial');
  }
  assert.ok(ok < 30, `${ok} random buffers parsed`);
});
