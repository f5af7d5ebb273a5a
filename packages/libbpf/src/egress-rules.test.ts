// The `egress_rules` LPM trie of capture.bpf.c: the key encoder (pure), its layout against the
// object's BTF, and on the real kernel: a "pod" (netns) connecting out to a server in the root
// namespace is copied only while a rule for that address and port is in the map.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { forEachRecord } from './batch.js';
import {
  CAPTURE_OBJECT_PATH, CaptureMap, CaptureProgram, EGRESS_KEY_LEN, decodeCaptureEvent, encodeEgressRuleKey, encodeEgressRuleValue,
  type CaptureEvent,
} from './capture-abi.js';
import { BpfError } from './errors.js';
import { BpfObject } from './object.js';
import { createNetnsPair, isRoot, run, type NetnsPair } from './testing/netns.js';

test('egress rule keys: prefixlen counts the 64 fixed bits, port in network order, IPv4 in the first 4 address bytes', () => {
  const v4 = encodeEgressRuleKey({ ifindex: 7, family: 4, address: '10.1.2.0', prefixLength: 24, port: 8080 });
  assert.equal(v4.length, EGRESS_KEY_LEN);
  assert.deepEqual([...v4], [88, 0, 0, 0, 7, 0, 0, 0, 0x1f, 0x90, 4, 0, 10, 1, 2, 0, ...Array(12).fill(0)]);
  const any6 = encodeEgressRuleKey({ ifindex: 0x01020304, family: 6, address: '::', prefixLength: 0, port: 443 });
  assert.deepEqual([...any6.subarray(0, 12)], [64, 0, 0, 0, 4, 3, 2, 1, 0x01, 0xbb, 6, 0]);
  assert.ok(any6.subarray(12).every((b) => b === 0));
  const v6 = encodeEgressRuleKey({ ifindex: 1, family: 6, address: 'fd00:c10::1:2', prefixLength: 128, port: 1 });
  assert.equal(v6.readUInt32LE(0), 192);
  assert.equal(v6.subarray(12).toString('hex'), 'fd000c10000000000000000000010002');
  const mapped = encodeEgressRuleKey({ ifindex: 1, family: 6, address: '::ffff:10.0.0.1', prefixLength: 128, port: 1 });
  assert.equal(mapped.subarray(12).toString('hex'), '00000000000000000000ffff0a000001');
  assert.deepEqual([...encodeEgressRuleValue()], [1, 0, 0, 0]);
});

test('egress rule keys: bad input is refused with EINVAL', () => {
  const ok = { ifindex: 1, family: 4 as const, address: '10.0.0.1', prefixLength: 32, port: 80 };
  for (const bad of [
    { ...ok, ifindex: 0 }, { ...ok, port: 0 }, { ...ok, port: 65536 }, { ...ok, prefixLength: 33 },
    { ...ok, address: 'fd00::1' }, { ...ok, family: 6 as const, prefixLength: 129, address: '::' }, { ...ok, family: 6 as const, address: '10.0.0.1' },
  ]) {
    assert.throws(() => encodeEgressRuleKey(bad), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL', JSON.stringify(bad));
  }
});

function hasBpftool(): boolean {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('egress_key layout matches the compiled object (BTF)', { skip: !hasBpftool() && 'bpftool not installed' }, () => {
  interface BtfType { name?: string; size?: number; members?: { name: string; bits_offset: number }[] }
  const btf = JSON.parse(execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', CAPTURE_OBJECT_PATH], { encoding: 'utf8' })) as { types: BtfType[] };
  const key = btf.types.find((t) => t.name === 'egress_key');
  assert.ok(key?.members, 'struct egress_key in BTF');
  assert.equal(key.size, EGRESS_KEY_LEN);
  assert.deepEqual(key.members.map((m) => [m.name, m.bits_offset / 8]), [['prefixlen', 0], ['ifindex', 4], ['port', 8], ['family', 10], ['pad', 11], ['addr', 12]]);
});

describe('egress_rules on a veth', { skip: !isRoot() && 'needs root (CAP_BPF + CAP_NET_ADMIN)' }, () => {
  let pair: NetnsPair;
  let obj: BpfObject;
  let server: Server;
  let port = 0;
  const events: CaptureEvent[] = [];

  before(async () => {
    pair = await createNetnsPair();
    // the "remote service" the pod calls: in the root namespace, on both of the host's addresses
    server = createServer((_req, res) => res.end('remote'));
    await new Promise<void>((resolve) => server.listen(0, '::', () => resolve()));
    port = (server.address() as { port: number }).port;
    obj = BpfObject.open(CAPTURE_OBJECT_PATH);
    obj.attachTc(CaptureProgram.INGRESS, pair.ifindex, 'ingress');
    obj.attachTc(CaptureProgram.EGRESS, pair.ifindex, 'egress');
    obj.openRingReader(CaptureMap.EVENTS, (batch) => { forEachRecord(batch, (rec) => events.push(decodeCaptureEvent(rec))); });
  });

  after(async () => {
    obj?.close();
    await new Promise((resolve) => server?.close(resolve));
    await pair?.destroy();
  });

  async function callOut(host: string): Promise<CaptureEvent[]> {
    const start = events.length;
    const h = host.includes(':') ? `[${host}]` : host;
    const body = await run('ip', ['netns', 'exec', pair.ns, 'curl', '-sS', '-g', '--max-time', '10', `http://${h}:${port}/out`]);
    assert.equal(body, 'remote');
    // events arrive within the reader's 100 ms poll; wait a little longer for a negative
    await new Promise((r) => setTimeout(r, 400));
    return events.slice(start).filter((e) => e.sport === port || e.dport === port);
  }

  test('no rule: the outbound call is not copied', async () => {
    assert.deepEqual(await callOut(pair.hostIp4), []);
  });

  test('a rule for the address/port copies both directions; another port or address does not match', async () => {
    const rules = obj.map(CaptureMap.EGRESS_RULES);
    const wrongPort = encodeEgressRuleKey({ ifindex: pair.ifindex, family: 4, address: pair.hostIp4, prefixLength: 32, port: port === 1 ? 2 : port - 1 });
    rules.update(wrongPort, encodeEgressRuleValue());
    assert.deepEqual(await callOut(pair.hostIp4), [], 'a rule for another port does not match');
    const subnet = encodeEgressRuleKey({ ifindex: pair.ifindex, family: 4, address: pair.hostIp4, prefixLength: 30, port });
    rules.update(subnet, encodeEgressRuleValue());
    const conn = await callOut(pair.hostIp4);
    const request = conn.find((e) => e.hook === 'ingress' && e.dport === port && e.payload.toString('latin1').startsWith('GET /out'));
    assert.ok(request, 'the request leaving the pod (tc ingress of the host veth) is copied');
    assert.equal(request.saddr, pair.peerIp4);
    assert.ok(conn.some((e) => e.hook === 'egress' && e.sport === port && e.payload.toString('latin1').includes('remote')), 'the response is copied');
    assert.deepEqual(await callOut(pair.hostIp6), [], 'an IPv4 rule does not match IPv6');
    rules.delete(subnet);
    rules.delete(wrongPort);
    assert.deepEqual(await callOut(pair.hostIp4), [], 'deleting the rule stops the copy');
  });

  test('an any-address rule of family 6 (Clovisor "0:<port>") matches IPv6', async () => {
    const rules = obj.map(CaptureMap.EGRESS_RULES);
    const any6 = encodeEgressRuleKey({ ifindex: pair.ifindex, family: 6, address: '::', prefixLength: 0, port });
    rules.update(any6, encodeEgressRuleValue());
    const conn = await callOut(pair.hostIp6);
    assert.ok(conn.some((e) => e.hook === 'ingress' && e.ipVersion === 6 && e.dport === port && e.capLen > 0));
    assert.ok(conn.some((e) => e.hook === 'egress' && e.ipVersion === 6 && e.sport === port && e.capLen > 0));
    rules.delete(any6);
  });
});
