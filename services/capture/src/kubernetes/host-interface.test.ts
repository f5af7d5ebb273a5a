import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { ifindexOf } from '@clovisor/libbpf';
import { resolveHostInterface } from './host-interface.js';

// Real network namespaces shaped like the two CNI families: a routed pod (veth + /32 route, as
// Calico does) and two pods on a Linux bridge (as the bridge plugin / flannel do).

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const id = randomBytes(2).toString('hex');
// random 10.a.b.x addresses and names so that a parallel or crashed run does not collide
const a = randomInt(200, 250);
const b = randomInt(0, 255);
const ROUTED = { ns: `clv-rt-${id}`, host: `clvr${id}h`, peer: 'eth0', ip: `10.${a}.${b}.2` };
const BRIDGE = { name: `clvb${id}`, ip: `10.${a}.${b + 1}.1` };
const BRIDGED = [
  { ns: `clv-b1-${id}`, host: `clvb${id}a`, ip: `10.${a}.${b + 1}.2` },
  { ns: `clv-b2-${id}`, host: `clvb${id}b`, ip: `10.${a}.${b + 1}.3` },
];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function quietly(...args: string[]): void {
  try { ip(...args); } catch { /* already gone */ }
}

const skip = isRoot ? false : 'needs root to create network namespaces';

before(() => {
  if (!isRoot) return;
  // routed: the host side has no address; a /32 route points at the veth
  ip('netns', 'add', ROUTED.ns);
  ip('link', 'add', ROUTED.host, 'type', 'veth', 'peer', 'name', ROUTED.peer, 'netns', ROUTED.ns);
  ip('-n', ROUTED.ns, 'addr', 'add', `${ROUTED.ip}/32`, 'dev', ROUTED.peer);
  ip('-n', ROUTED.ns, 'link', 'set', ROUTED.peer, 'up');
  ip('link', 'set', ROUTED.host, 'up');
  ip('route', 'add', `${ROUTED.ip}/32`, 'dev', ROUTED.host);
  // bridge: the bridge holds the gateway address, the pods' veths are its ports
  ip('link', 'add', BRIDGE.name, 'type', 'bridge');
  ip('addr', 'add', `${BRIDGE.ip}/24`, 'dev', BRIDGE.name);
  ip('link', 'set', BRIDGE.name, 'up');
  for (const pod of BRIDGED) {
    ip('netns', 'add', pod.ns);
    ip('link', 'add', pod.host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.ns);
    ip('-n', pod.ns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
    ip('-n', pod.ns, 'link', 'set', 'eth0', 'up');
    ip('link', 'set', pod.host, 'master', BRIDGE.name, 'up');
  }
});

after(() => {
  quietly('link', 'del', ROUTED.host);
  quietly('netns', 'del', ROUTED.ns);
  for (const pod of BRIDGED) {
    quietly('link', 'del', pod.host);
    quietly('netns', 'del', pod.ns);
  }
  quietly('link', 'del', BRIDGE.name);
});

test('routed CNI: the route to the pod IP names its veth', { skip }, async () => {
  assert.deepEqual(await resolveHostInterface(ROUTED.ip), { name: ROUTED.host, ifindex: ifindexOf(ROUTED.host), via: 'route' });
});

test('bridge CNI: the bridge port whose peer holds the pod IP', { skip }, async () => {
  for (const pod of BRIDGED) {
    assert.deepEqual(await resolveHostInterface(pod.ip), { name: pod.host, ifindex: ifindexOf(pod.host), via: 'bridge', bridge: BRIDGE.name });
  }
});

test('an IP no pod of this host holds gives null', { skip }, async () => {
  assert.equal(await resolveHostInterface(`10.${a}.${b + 1}.99`), null, 'in the bridge subnet, no such pod');
  assert.equal(await resolveHostInterface('198.51.100.7'), null, 'routed off-host');
  assert.equal(await resolveHostInterface('127.0.0.1'), null, 'local');
});
