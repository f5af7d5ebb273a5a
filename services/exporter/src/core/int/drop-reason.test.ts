import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixtureFrames } from '../../testing/fixture-frames.js';
import { intDropReason, renderDropReasonTable } from './drop-reason.js';

const v4 = fixtureFrames('python-http10-close.pcap')[0]!.frame;
const v6 = fixtureFrames('node-ipv6.pcap')[0]!.frame;

/** A copy of a real frame with one byte changed (as the kernel would have seen a bad header). */
function withByte(frame: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(frame);
  copy[offset] = value;
  return copy;
}

test('kernel drop reasons map onto the INT codes by name', () => {
  const cases: Array<[string | null, number]> = [
    ['IP_INNOROUTES', 29], ['IP_OUTNOROUTES', 29], ['QDISC_DROP', 71], ['QDISC_OVERLIMIT', 71], ['CPU_BACKLOG', 71],
    ['NETFILTER_DROP', 80], ['TC_INGRESS', 80], ['TC_EGRESS', 80], ['BPF_CGROUP_EGRESS', 80], ['XDP', 80], ['SECURITY_HOOK', 80],
    ['IP_CSUM', 31], ['IP_RPFILTER', 184], ['IP_INVALID_SOURCE', 184], ['IP_LOCAL_SOURCE', 184], ['TCP_CSUM', 182],
    ['VXLAN_INVALID_HDR', 181], ['NEIGH_FAILED', 89], ['NEIGH_HH_FILLFAIL', 89],
    ['SOCKET_RCVBUFF', 71], ['SOCKET_BACKLOG', 71], ['PROTO_MEM', 71], ['IP_LOCALNET', 184], ['TCP_OFOMERGE', 0], ['TCP_OLD_DATA', 0], ['NOT_SPECIFIED', 0], ['NO_SOCKET', 0], ['SOMETHING_NEW_IN_A_LATER_KERNEL', 0], [null, 0],
  ];
  for (const [name, code] of cases) assert.equal(intDropReason(name, v4), code, String(name));
});

test('IP_INHDR is refined from the packet\'s TTL / hop limit; nothing else (other header errors are never tracked)', () => {
  // IPv4 header at 14: TTL byte 22
  assert.equal(intDropReason('IP_INHDR', v4), 0, 'a sound header says nothing more');
  assert.equal(intDropReason('IP_INHDR', withByte(v4, 22, 1)), 26);
  assert.equal(intDropReason('IP_INHDR', withByte(v4, 22, 0)), 26);
  // IPv6 header at 14: hop limit byte 21
  assert.equal(intDropReason('IP_INHDR', v6), 0);
  assert.equal(intDropReason('IP_INHDR', withByte(v6, 21, 1)), 26);
  assert.equal(intDropReason('IP_INHDR', v4.subarray(0, 20)), 0, 'a cut frame');
  assert.equal(intDropReason('IP_INHDR', withByte(v4, 12, 0x86)), 0, 'neither IPv4 nor IPv6');
});

test('docs/int.md shows exactly the table in the code', () => {
  const doc = readFileSync(new URL('../../../../../docs/int.md', import.meta.url), 'utf8');
  const match = /<!-- drop-reason-table:begin -->\n([\s\S]*?)\n<!-- drop-reason-table:end -->/.exec(doc);
  assert.ok(match, 'docs/int.md has the drop-reason-table markers');
  assert.equal(match[1], renderDropReasonTable(), 'regenerate with: node -e "import(\'./services/exporter/dist/core/int/drop-reason.js\').then(m => console.log(m.renderDropReasonTable()))"');
});
