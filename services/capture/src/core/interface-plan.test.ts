import assert from 'node:assert/strict';
import { test } from 'node:test';
import { egressTargetsFor, planInterfaces, type PlannedPod } from './interface-plan.js';
import { parseRedisConfig } from './redis-config.js';

const egress = (...entries: string[]) => parseRedisConfig({ clovisor_egress_match: entries }).config.egress;

const pod = (uid: string, name: string, ports: PlannedPod['ports']): PlannedPod => ({
  uid, meta: { service: `svc-${name}`, namespace: 'default', name, node: 'n1' }, ports,
});

test('egress rules: the pod-name prefix selects the pods (absent = all); "0" is any address of both families', () => {
  const rules = egress('0:443', '10.0.0.0/8:5432:db-client', '[fd00::1]:6379:cache');
  assert.deepEqual(egressTargetsFor('web-1', rules), [
    { family: 4, address: '0.0.0.0', prefixLength: 0, port: 443 },
    { family: 6, address: '::', prefixLength: 0, port: 443 },
  ]);
  assert.deepEqual(egressTargetsFor('db-client-7f9', rules).slice(2), [{ family: 4, address: '10.0.0.0', prefixLength: 8, port: 5432 }]);
  assert.deepEqual(egressTargetsFor('cache-0', rules).slice(2), [{ family: 6, address: 'fd00::1', prefixLength: 128, port: 6379 }]);
  assert.deepEqual(egressTargetsFor(null, egress('1.2.3.4:80:web')), [], 'a pod without a name matches no prefix');
});

test('the same rule under the legacy key and the new one gives one kernel entry', () => {
  const { config } = parseRedisConfig({ clovisor_egress_match: ['0:80'], clovior_egress_match: ['0:80'] });
  assert.equal(egressTargetsFor('x', config.egress).length, 2);
});

test('plan: one interface per pod whose host interface is known, with its ports and egress targets', () => {
  const pods = [
    pod('u1', 'web-1', [{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'grpc' }]),
    pod('u2', 'db-client-1', [{ port: 5432, protocol: 'postgres' }]),
    pod('u3', 'pending-1', [{ port: 80, protocol: 'http' }]),
  ];
  const hosts = new Map([['u1', { name: 'veth1', ifindex: 11 }], ['u2', { name: 'veth2', ifindex: 7 }]]);
  const plan = planInterfaces(pods, hosts, egress('10.1.0.0/16:5432:db-client'));
  assert.deepEqual(plan, [
    { name: 'veth2', ifindex: 7, pod: pods[1]!.meta, ports: [{ port: 5432, protocol: 'postgres' }], egress: [{ family: 4, address: '10.1.0.0', prefixLength: 16, port: 5432 }] },
    { name: 'veth1', ifindex: 11, pod: pods[0]!.meta, ports: [{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'grpc' }], egress: [] },
  ]);
});

test('plan: two pods behind one interface merge; a port number keeps its first protocol', () => {
  const pods = [pod('a', 'a', [{ port: 80, protocol: 'http' }]), pod('b', 'b', [{ port: 80, protocol: 'grpc' }, { port: 81, protocol: 'tcp' }])];
  const hosts = new Map([['a', { name: 'v', ifindex: 3 }], ['b', { name: 'v', ifindex: 3 }]]);
  const [only, ...rest] = planInterfaces(pods, hosts, []);
  assert.equal(rest.length, 0);
  assert.equal(only!.pod!.name, 'a');
  assert.deepEqual(only!.ports, [{ port: 80, protocol: 'http' }, { port: 81, protocol: 'tcp' }]);
});
