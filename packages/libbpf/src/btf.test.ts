import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Btf, VMLINUX_BTF_PATH, dropReasonNames, kernelBtf } from './btf.js';
import { BpfError } from './errors.js';
import { run } from './testing/netns.js';
import { blob, strOff, type } from './testing/btf-blob.js';

test('parses INT, STRUCT, ENUM (unsigned and signed), ENUM64 and TYPEDEF types from a built blob', () => {
  const s = ['int', 'pair', 'a', 'b', 'skb_drop_reason', 'SKB_CONSUMED', 'SKB_DROP_REASON_IP_INHDR', 'big', 'X', 'neg', 'M', 'btf_trace_x'];
  const o = (x: string) => strOff(s, x);
  const types = [
    type(o('int'), 1, 0, 4, [32]),
    type(o('pair'), 4, 2, 8, [o('a'), 1, 0, o('b'), 1, 32]),
    type(o('skb_drop_reason'), 6, 2, 4, [o('SKB_CONSUMED'), 1, o('SKB_DROP_REASON_IP_INHDR'), 0x80000001]),
    type(o('neg'), 6, 1, 4, [o('M'), -5], 1),
    type(o('big'), 19, 2, 8, [o('X'), 7, 0, o('M'), 0, 1]),
    type(o('btf_trace_x'), 8, 0, 2, []),
  ];
  const btf = new Btf(blob(types, s));
  assert.equal(btf.typeCount, 6);
  assert.ok(btf.hasType('pair', 'struct'));
  assert.ok(btf.hasType('btf_trace_x', 'typedef'));
  assert.equal(btf.hasType('btf_trace_x', 'func'), false);
  assert.equal(btf.hasType('nothing'), false);
  assert.deepEqual([...dropReasonNames(btf)], [[1, 'SKB_CONSUMED'], [0x80000001, 'IP_INHDR']]);
  assert.deepEqual([...btf.enumValues('neg')!], [[-5, 'M']]);
  assert.deepEqual([...btf.enumValues('big')!], [[7, 'X']], 'a 64-bit value beyond 32 bits is left out');
  assert.equal(btf.enumValues('pair'), null);
});

test('bad blobs are refused', () => {
  const isBad = (e: unknown) => e instanceof BpfError && e.code === 'EBADMSG';
  assert.throws(() => new Btf(Buffer.alloc(10)), isBad);
  assert.throws(() => new Btf(Buffer.alloc(64)), isBad, 'no magic');
  const unknownKind = blob([type(0, 31, 0, 0, [])], []);
  assert.throws(() => new Btf(unknownKind), isBad);
  const truncated = blob([type(0, 1, 0, 4, [32])], []);
  truncated.writeUInt32LE(1000, 12); // type_len beyond the data
  assert.throws(() => new Btf(truncated), isBad);
  assert.throws(() => dropReasonNames(new Btf(blob([], []))), (e: unknown) => e instanceof BpfError && e.code === 'ENOTSUP');
});

test('the running kernel\'s skb_drop_reason matches what bpftool prints', { skip: !existsSync(VMLINUX_BTF_PATH) && 'kernel without BTF' }, async () => {
  const names = dropReasonNames(kernelBtf());
  const dump = await run('bpftool', ['btf', 'dump', 'file', VMLINUX_BTF_PATH, 'format', 'raw'], 60_000);
  const block = dump.split(/\n(?=\[)/).find((b) => b.includes("ENUM 'skb_drop_reason'"));
  assert.ok(block, 'bpftool lists the enum');
  const expected = new Map([...block.matchAll(/'(\w+)' val=(\d+)/g)].map((m) => [Number(m[2]), m[1]!.replace(/^SKB_DROP_REASON_/, '')]));
  assert.ok(expected.size > 50);
  assert.deepEqual(names, expected);
  for (const n of ['NOT_SPECIFIED', 'IP_INNOROUTES', 'IP_INHDR', 'QDISC_DROP', 'SKB_CONSUMED']) assert.ok([...names.values()].includes(n), n);
  assert.ok(kernelBtf().hasType('btf_trace_kfree_skb', 'typedef'));
  assert.ok(kernelBtf().hasType('bpf_cast_to_kern_ctx', 'func'));
});
