import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisConfig, RedisConfigKeys as K, type RawRedisConfig } from './redis-config.js';

const parse = (raw: RawRedisConfig) => parseRedisConfig(raw);

test('no keys: namespace default, no egress rules, no OTLP suggestion', () => {
  assert.deepEqual(parse({}), { config: { selectors: [{ namespace: 'default', label: null }], egress: [], otlp: null }, issues: [] });
  assert.deepEqual(parse({ [K.labels]: [] }).config.selectors, [{ namespace: 'default', label: null }]);
});

test('labels: namespace alone, namespace with label, duplicates once, SET string as list', () => {
  const { config, issues } = parse({ [K.labels]: ['shop', 'prod:app:frontend', 'shop', 'prod:app.kubernetes.io/name:cart', 'dev:tier:'] });
  assert.deepEqual(issues, []);
  assert.deepEqual(config.selectors, [
    { namespace: 'shop', label: null },
    { namespace: 'prod', label: { key: 'app', value: 'frontend' } },
    { namespace: 'prod', label: { key: 'app.kubernetes.io/name', value: 'cart' } },
    { namespace: 'dev', label: { key: 'tier', value: '' } },
  ]);
  assert.deepEqual(parse({ [K.labels]: 'a, b' }).config.selectors.map((s) => s.namespace), ['a', 'b']);
});

test('labels: each invalid form is rejected with key, entry and reason; valid entries still apply', () => {
  const bad = ['prod:app', 'a:b:c:d', 'Prod', '-x', 'x'.repeat(64), 'ns:-bad:v', 'ns:Bad_/x:v', 'ns:app:-v', 'ns:app:' + 'v'.repeat(64)];
  const { config, issues } = parse({ [K.labels]: [...bad, 'ok'] });
  assert.deepEqual(config.selectors, [{ namespace: 'ok', label: null }]);
  assert.deepEqual(issues.map((i) => i.entry), bad);
  for (const i of issues) {
    assert.equal(i.key, 'clovisor_labels');
    assert.ok(i.reason.length > 10, i.reason);
  }
  assert.match(issues[0]!.reason, /<namespace>:<label-key>:<label-value>/);
  assert.match(issues[2]!.reason, /namespace "Prod"/);
});

test('labels: only invalid entries fall back to namespace default', () => {
  const { config, issues } = parse({ [K.labels]: ['BAD'] });
  assert.deepEqual(config.selectors, [{ namespace: 'default', label: null }]);
  assert.equal(issues.length, 1);
});

test('egress: any address, IPv4, CIDR, bracketed IPv6 and IPv6 CIDR, pod prefix; both keys merged', () => {
  const { config, issues } = parse({
    [K.egress]: ['0:80', '10.0.0.7:443:web-', '10.1.0.0/16:5432'],
    [K.egressLegacy]: ['[fd00::/64]:443', '[2001:db8::1]:8080:api', '0:80'],
  });
  assert.deepEqual(issues, []);
  assert.deepEqual(config.egress, [
    { network: null, port: 80, podPrefix: null, key: K.egress },
    { network: { family: 4, address: '10.0.0.7', prefixLength: 32 }, port: 443, podPrefix: 'web-', key: K.egress },
    { network: { family: 4, address: '10.1.0.0', prefixLength: 16 }, port: 5432, podPrefix: null, key: K.egress },
    { network: { family: 6, address: 'fd00::', prefixLength: 64 }, port: 443, podPrefix: null, key: K.egressLegacy },
    { network: { family: 6, address: '2001:db8::1', prefixLength: 128 }, port: 8080, podPrefix: 'api', key: K.egressLegacy },
  ]);
});

test('egress: each invalid form is rejected with the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['10.0.0.1', /expected <ip or 0>:<port>/],
    ['10.0.0.1:0', /port "0"/],
    ['10.0.0.1:65536', /port "65536"/],
    ['10.0.0.1:http', /port "http"/],
    ['10.0.0.1:80:', /pod name prefix ""/],
    ['10.0.0.1:80:Web', /pod name prefix "Web"/],
    ['10.0.0.1:80:a:b', /too many ":"/],
    ['fd00::1:443', /IPv6 addresses in brackets/],
    ['[fd00::1:443', /unclosed/],
    ['[fd00::1]443', /":<port>" after "]"/],
    ['[10.0.0.1]:443', /IPv6 addresses only/],
    ['300.1.1.1:80', /"300.1.1.1" is not an IP address/],
    ['host.local:80', /not an IP address/],
    ['10.0.0.0/33:80', /\/33.*IPv4/],
    ['[fd00::/129]:80', /\/129.*IPv6/],
    ['10.0.0.0/8/9:80', /more than one "\/"/],
  ];
  const { config, issues } = parse({ [K.egress]: [...cases.map(([e]) => e), '0:9092'] });
  assert.deepEqual(config.egress, [{ network: null, port: 9092, podPrefix: null, key: K.egress }]);
  assert.equal(issues.length, cases.length);
  cases.forEach(([entry, reason], n) => {
    assert.equal(issues[n]!.entry, entry);
    assert.equal(issues[n]!.key, K.egress);
    assert.match(issues[n]!.reason, reason, entry);
  });
});

test('wrong Redis types are issues, not crashes', () => {
  const { config, issues } = parse({ [K.labels]: { unsupportedType: 'hash' }, [K.egress]: { unsupportedType: 'zset' }, [K.jaegerCollector]: ['a'] });
  assert.deepEqual(config.selectors, [{ namespace: 'default', label: null }]);
  assert.deepEqual(issues.map((i) => [i.key, /Redis (hash|zset|list\/set)/.test(i.reason)]), [
    [K.labels, true], [K.egress, true], [K.jaegerCollector, true],
  ]);
});

test('jaeger: collector host (host:port, URL, IPv6) becomes http://host:4318; agent is the fallback', () => {
  const otlp = (raw: RawRedisConfig) => parse(raw).config.otlp;
  assert.deepEqual(otlp({ [K.jaegerCollector]: 'jaeger-collector.istio-system:14268' }), { endpoint: 'http://jaeger-collector.istio-system:4318', from: K.jaegerCollector });
  assert.deepEqual(otlp({ [K.jaegerCollector]: 'http://jaeger:14268/api/traces' })?.endpoint, 'http://jaeger:4318');
  assert.deepEqual(otlp({ [K.jaegerCollector]: '[fd00::5]:14250' })?.endpoint, 'http://[fd00::5]:4318');
  assert.deepEqual(otlp({ [K.jaegerCollector]: 'jaeger' })?.endpoint, 'http://jaeger:4318');
  assert.deepEqual(otlp({ [K.jaegerAgent]: 'jaeger-agent:6831' }), { endpoint: 'http://jaeger-agent:4318', from: K.jaegerAgent });
  assert.equal(otlp({ [K.jaegerCollector]: 'c:1', [K.jaegerAgent]: 'a:2' })?.endpoint, 'http://c:4318');
  assert.equal(otlp({ [K.jaegerCollector]: '  ' }), null);
});

test('jaeger: invalid endpoints are issues and the agent still applies', () => {
  for (const bad of ['jaeger:port', 'a b:1', 'http://', '[zz::1]:1', '-x:1']) {
    const { config, issues } = parse({ [K.jaegerCollector]: bad, [K.jaegerAgent]: 'agent:6831' });
    assert.equal(config.otlp?.endpoint, 'http://agent:4318', bad);
    assert.deepEqual(issues.map((i) => [i.key, i.entry]), [[K.jaegerCollector, bad]], bad);
  }
});
