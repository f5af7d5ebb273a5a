import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisConfig, defaultRedisConfig } from '../core/redis-config.js';
import { computeMonitoredSet, type KubePod, type KubeService, type KubeServicePort, type LabelSelection, type SelectionInput } from './selection.js';
import { protocolOfPort } from './port-protocol.js';

const NODE = 'n1';

function pod(name: string, o: { ns?: string; labels?: Record<string, string>; ports?: Array<{ name?: string; containerPort: number; protocol?: string }>; node?: string; ip?: string | null; phase?: string; hostNetwork?: boolean } = {}): KubePod {
  const ip = o.ip === undefined ? '10.0.0.9' : o.ip;
  return {
    metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}`, labels: o.labels ?? { app: name } },
    spec: { nodeName: o.node ?? NODE, hostNetwork: o.hostNetwork ?? false, containers: [{ name: 'c', ports: o.ports ?? [] }] },
    status: { phase: o.phase ?? 'Running', ...(ip ? { podIP: ip, podIPs: [{ ip }, { ip: 'fd00::9' }] } : {}), containerStatuses: [{ containerID: `containerd://${name}` }] },
  };
}

function svc(name: string, selector: Record<string, string>, ports: KubeServicePort[], ns = 'default'): KubeService {
  return { metadata: { name, namespace: ns }, spec: { selector, ports } };
}

const run = (pods: KubePod[], services: KubeService[] = [], selections: LabelSelection[] = []) =>
  computeMonitoredSet({ node: NODE, pods, services, selections } satisfies SelectionInput);

test('protocol: appProtocol wins over the port name; Istio names with and without suffix', () => {
  const cases: Array<[{ name?: string; appProtocol?: string }, string | null]> = [
    [{ name: 'http' }, 'http'],
    [{ name: 'http-metrics' }, 'http'],
    [{ name: 'HTTP2' }, 'http2'],
    [{ name: 'grpc' }, 'grpc'],
    [{ name: 'grpc-web' }, 'http'],
    [{ name: 'grpc-web-ui' }, 'http'],
    [{ name: 'grpc-internal' }, 'grpc'],
    [{ name: 'https' }, 'tls'],
    [{ name: 'tcp-raw' }, 'tcp'],
    [{ name: 'redis' }, 'redis'],
    [{ name: 'mongo-primary' }, 'mongo'],
    [{ name: 'mysql' }, 'mysql'],
    [{ name: 'kafka-broker' }, 'kafka'],
    [{ name: 'udp-dns' }, 'udp'],
    [{ name: 'web' }, null],
    [{ name: 'metrics' }, null],
    [{}, null],
    [{ name: 'tcp', appProtocol: 'http' }, 'http'],
    [{ name: 'http', appProtocol: 'kubernetes.io/h2c' }, 'http2'],
    [{ name: 'web', appProtocol: 'kubernetes.io/ws' }, 'http'],
    // an appProtocol we cannot decode does not hide a good port name
    [{ name: 'grpc', appProtocol: 'example.com/custom' }, 'grpc'],
  ];
  for (const [port, expected] of cases) assert.equal(protocolOfPort(port), expected, JSON.stringify(port));
});

test('the selectors parsed from Redis (parseRedisConfig) are accepted as they are', () => {
  const { config } = parseRedisConfig({ clovisor_labels: ['shop:app:cart', 'other'] });
  const got = run([pod('a'), pod('b', { ns: 'shop', labels: { app: 'cart' } }), pod('c', { ns: 'other' })], [], config.selectors);
  assert.deepEqual(got.map((p) => p.meta.name), ['c', 'b']);
  assert.deepEqual(run([pod('a')], [], defaultRedisConfig().selectors).map((p) => p.meta.name), ['a']);
});

test('selection: empty ⇒ namespace default; entries are ORed; a label entry needs the label', () => {
  const pods = [
    pod('a'),
    pod('b', { ns: 'shop', labels: { app: 'cart' } }),
    pod('c', { ns: 'shop', labels: { app: 'web' } }),
    pod('d', { ns: 'other' }),
  ];
  const names = (sel: LabelSelection[]) => run(pods, [], sel).map((p) => p.meta.name);
  assert.deepEqual(names([]), ['a']);
  assert.deepEqual(names([{ namespace: 'shop' }]), ['b', 'c']);
  assert.deepEqual(names([{ namespace: 'shop', label: { key: 'app', value: 'cart' } }]), ['b']);
  // sorted by namespace, then name
  assert.deepEqual(names([{ namespace: 'shop', label: { key: 'app', value: 'cart' } }, { namespace: 'other' }]), ['d', 'b']);
  assert.deepEqual(names([{ namespace: 'default', label: { key: 'app', value: 'cart' } }]), []);
});

test('pods without their own veth or already gone are left out', () => {
  const got = run([
    pod('ok'),
    pod('other-node', { node: 'n2' }),
    pod('no-ip', { ip: null, phase: 'Pending' }),
    pod('host', { hostNetwork: true }),
    pod('done', { phase: 'Succeeded' }),
  ]).map((p) => p.meta.name);
  assert.deepEqual(got, ['ok']);
});

test('ports: service targetPort by number, by name, unset; several services select one pod', () => {
  const p = pod('cart', { labels: { app: 'cart', tier: 'be' }, ports: [{ name: 'api', containerPort: 8080 }, { name: 'grpc-int', containerPort: 9090 }, { name: 'redis', containerPort: 6379 }] });
  const [got] = run([p], [
    svc('cart', { app: 'cart' }, [{ name: 'http', port: 80, targetPort: 'api' }, { name: 'metrics', port: 9102, targetPort: 9102 }]),
    svc('cart-grpc', { tier: 'be' }, [{ name: 'tcp', port: 9090, appProtocol: 'grpc' }]),
    svc('unrelated', { app: 'other' }, [{ name: 'http', port: 7000 }]),
    svc('elsewhere', { app: 'cart' }, [{ name: 'http', port: 7001 }], 'shop'),
  ]);
  assert.ok(got);
  assert.deepEqual(got.meta, { service: 'cart', namespace: 'default', name: 'cart', node: NODE });
  assert.equal(got.uid, 'uid-cart');
  assert.deepEqual(got.ips, ['10.0.0.9', 'fd00::9']);
  assert.deepEqual(got.containerIds, ['containerd://cart']);
  assert.deepEqual(got.ports, [
    { port: 6379, transport: 'TCP', protocol: 'redis', source: 'container/redis' },
    { port: 8080, transport: 'TCP', protocol: 'http', source: 'cart/http' },
    { port: 9090, transport: 'TCP', protocol: 'grpc', source: 'cart-grpc/tcp' },
  ]);
});

test('ports: a named targetPort the pod does not declare gives nothing; the first service (by name) wins a port', () => {
  const p = pod('web', { ports: [{ name: 'http', containerPort: 8080 }] });
  const [got] = run([p], [
    svc('b-web', { app: 'web' }, [{ name: 'grpc', port: 80, targetPort: 8080 }]),
    svc('a-web', { app: 'web' }, [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'http', port: 81, targetPort: 'missing' }]),
  ]);
  assert.deepEqual(got!.ports, [{ port: 8080, transport: 'TCP', protocol: 'http2', source: 'a-web/http2' }]);
  assert.equal(got!.meta.service, 'a-web');
});

test('ports: UDP service ports keep their transport; a pod without service is named by its app label', () => {
  const [withSvc] = run([pod('dns', { ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] })],
    [svc('dns', { app: 'dns' }, [{ name: 'udp-dns', port: 53, protocol: 'UDP' }])]);
  assert.deepEqual(withSvc!.ports, [{ port: 53, transport: 'UDP', protocol: 'udp', source: 'dns/udp-dns' }]);
  const [alone] = run([pod('worker', { labels: { app: 'jobs' } })]);
  assert.equal(alone!.meta.service, 'jobs');
  assert.deepEqual(alone!.ports, []);
});
