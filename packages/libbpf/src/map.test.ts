// Map operations on the real capture object (no traffic needed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAPTURE_COUNTER_COUNT, CAPTURE_OBJECT_PATH, CAPTURE_PORTS_MAX_ENTRIES, CaptureMap, decodePortKey, encodeCaptureConfig, encodePortKey, encodeProtocolId, u32Key } from './capture-abi.js';
import { BpfError } from './errors.js';
import { FLOW_KEY_LEN, FLOW_STATE_LEN, FLOW_TABLE_DEFAULT_SIZE } from './flow-abi.js';
import { openHandleCount, openHandles } from './handles.js';
import { MapType, numPossibleCpus, sumPerCpuU64 } from './map.js';
import { BpfObject } from './object.js';
import { isRoot } from './testing/netns.js';

const isBpfError = (code: string) => (e: unknown): boolean => e instanceof BpfError && e.code === code;

describe('BpfMap', { skip: !isRoot() && 'needs root (CAP_BPF)' }, () => {
  let obj: BpfObject;

  before(() => {
    obj = BpfObject.open(CAPTURE_OBJECT_PATH);
  });

  after(() => {
    obj.close();
    assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
  });

  test('the object exposes its maps and programs', () => {
    assert.deepEqual(obj.mapNames().sort(), ['config', 'counters', 'egress_rules', 'events', 'flow_scratch', 'flows', 'ports', 'scratch']);
    assert.deepEqual(obj.programNames().sort(), ['capture_egress', 'capture_ingress', 'capture_node_egress', 'capture_node_ingress']);
    const flows = obj.map(CaptureMap.FLOWS);
    assert.deepEqual([flows.type, flows.keySize, flows.valueSize, flows.maxEntries], [MapType.LRU_HASH, FLOW_KEY_LEN, FLOW_STATE_LEN, FLOW_TABLE_DEFAULT_SIZE]);
    const ports = obj.map(CaptureMap.PORTS);
    assert.deepEqual([ports.type, ports.keySize, ports.valueSize, ports.maxEntries], [MapType.HASH, 8, 4, CAPTURE_PORTS_MAX_ENTRIES]);
    assert.throws(() => obj.map('nope'), (e: unknown) => isBpfError('ENOENT')(e) && /maps: .*ports/.test((e as Error).message));
  });

  test('hash map: update, lookup, keys, delete', () => {
    const ports = obj.map(CaptureMap.PORTS);
    const k1 = encodePortKey(0, 8080);
    const k2 = encodePortKey(7, 53);
    assert.equal(ports.lookup(k1), null);
    ports.update(k1, encodeProtocolId(1));
    ports.update(k2, encodeProtocolId(2), 'noexist');
    assert.throws(() => ports.update(k2, encodeProtocolId(3), 'noexist'), isBpfError('EEXIST'));
    assert.deepEqual(ports.lookup(k2), encodeProtocolId(2));
    assert.deepEqual(ports.keys().map(decodePortKey).sort((a, b) => a.port - b.port), [{ ifindex: 7, port: 53 }, { ifindex: 0, port: 8080 }]);
    assert.equal(ports.delete(k1), true);
    assert.equal(ports.delete(k1), false);
    assert.equal(ports.delete(k2), true);
    assert.deepEqual(ports.keys(), []);
  });

  test('a full hash map refuses with E2BIG and says so', () => {
    const ports = obj.map(CaptureMap.PORTS);
    for (let i = 1; i <= CAPTURE_PORTS_MAX_ENTRIES; i++) ports.update(encodePortKey(1, i), encodeProtocolId(1));
    try {
      assert.throws(() => ports.update(encodePortKey(2, 1), encodeProtocolId(1)), (e: unknown) =>
        isBpfError('E2BIG')(e) && /map is full \(1024 entries\)/.test((e as Error).message));
      assert.equal(ports.keys().length, CAPTURE_PORTS_MAX_ENTRIES);
    } finally {
      for (const k of ports.keys()) ports.delete(k);
    }
  });

  test('array and per-CPU array values', () => {
    const config = obj.map(CaptureMap.CONFIG);
    assert.deepEqual(config.lookup(u32Key(0)), Buffer.alloc(8), 'config starts zeroed (snaplen 0 = default)');
    config.update(u32Key(0), encodeCaptureConfig({ snaplen: 100 }));
    assert.equal(config.lookup(u32Key(0))!.readUInt32LE(0), 100);
    config.update(u32Key(0), encodeCaptureConfig({ snaplen: 0 }));
    assert.throws(() => config.update(u32Key(1), encodeCaptureConfig({ snaplen: 0 })), isBpfError('E2BIG'));

    const counters = obj.map(CaptureMap.COUNTERS);
    assert.equal(counters.perCpu, true);
    const ncpu = numPossibleCpus();
    assert.ok(ncpu >= 1);
    const v = counters.lookup(u32Key(0))!;
    assert.equal(v.length, 8 * ncpu, 'one u64 per possible CPU');
    // Write distinct per-CPU values and read back their sum.
    const perCpu = Buffer.alloc(8 * ncpu);
    for (let c = 0; c < ncpu; c++) perCpu.writeBigUInt64LE(BigInt(c + 1), c * 8);
    counters.update(u32Key(CAPTURE_COUNTER_COUNT - 1), perCpu);
    assert.equal(sumPerCpuU64(counters.lookup(u32Key(CAPTURE_COUNTER_COUNT - 1))!), BigInt((ncpu * (ncpu + 1)) / 2));
    counters.update(u32Key(CAPTURE_COUNTER_COUNT - 1), Buffer.alloc(8 * ncpu));
  });

  test('sizes are checked before the kernel sees a buffer', () => {
    const ports = obj.map(CaptureMap.PORTS);
    assert.throws(() => ports.lookup(Buffer.alloc(4)), (e: unknown) => isBpfError('EINVAL')(e) && /must be 8 bytes, got 4/.test((e as Error).message));
    assert.throws(() => ports.update(encodePortKey(0, 1), Buffer.alloc(8)), isBpfError('EINVAL'));
    assert.throws(() => obj.map(CaptureMap.COUNTERS).update(u32Key(0), Buffer.alloc(8 * numPossibleCpus() + 8)), isBpfError('EINVAL'));
    assert.throws(() => obj.map(CaptureMap.EVENTS).lookup(Buffer.alloc(0)), (e: unknown) => isBpfError('EINVAL')(e) && /openRingReader/.test((e as Error).message));
  });

  test('a map of a closed object refuses to work', () => {
    const other = BpfObject.open(CAPTURE_OBJECT_PATH);
    const ports = other.map(CaptureMap.PORTS);
    other.close();
    assert.throws(() => ports.lookup(encodePortKey(0, 1)), isBpfError('EBADF'));
    assert.throws(() => other.map(CaptureMap.PORTS), isBpfError('EBADF'));
  });
});

describe('map sizes set at open', { skip: !isRoot() && 'needs root (CAP_BPF)' }, () => {
  test('maxEntries resizes a map before load; bad sizes and unknown maps are refused', () => {
    const small = BpfObject.open(CAPTURE_OBJECT_PATH, { maxEntries: { [CaptureMap.FLOWS]: 2048 } });
    try {
      assert.equal(small.map(CaptureMap.FLOWS).maxEntries, 2048);
    } finally {
      small.close();
    }
    assert.throws(() => BpfObject.open(CAPTURE_OBJECT_PATH, { maxEntries: { [CaptureMap.FLOWS]: 0 } }), isBpfError('EINVAL'));
    assert.throws(() => BpfObject.open(CAPTURE_OBJECT_PATH, { maxEntries: { nope: 16 } }), isBpfError('ENOENT'));
    assert.equal(openHandleCount(), 0);
  });
});
