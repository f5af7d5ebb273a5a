import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@clovisor/core';
import { parseIp } from '@clovisor/libbpf';
import { WATCHLIST_MAX_RULES, describeRule, parseWatchlist } from './watchlist.js';

// int-host-reporter's own sample (configs/watchlist.yaml), quoted strings and all
const SAMPLE = `# Sample INT watchlist configuration
rules:
  - protocol: "UDP"
    src-addr: "192.168.99.50/32"
    dst-addr: "192.168.99.20/32"
  - protocol: "TCP"
    src-addr: "10.68.235.0/24"
    dst-addr: "10.68.235.0/24"
`;

test('int-host-reporter sample file: protocol and both prefixes, ports any', () => {
  assert.deepEqual(parseWatchlist(SAMPLE), [
    { protocol: 'UDP', source: { family: 4, address: '192.168.99.50', prefixLength: 32 }, destination: { family: 4, address: '192.168.99.20', prefixLength: 32 }, sourcePort: null, destinationPort: null },
    { protocol: 'TCP', source: { family: 4, address: '10.68.235.0', prefixLength: 24 }, destination: { family: 4, address: '10.68.235.0', prefixLength: 24 }, sourcePort: null, destinationPort: null },
  ]);
});

test('extensions: any case protocol, plain addresses, missing address = any, ports as numbers or strings, IPv6', () => {
  const rules = parseWatchlist(`rules:
  - protocol: tcp
    dst-addr: 10.1.2.3
    dst-port: 8080
  - protocol: Udp
    src-addr: "fd00:0:0::1:5/64"
    src-port: "53"
  - protocol: TCP
    dst-addr: "::ffff:10.0.0.1"
`);
  assert.deepEqual(rules, [
    { protocol: 'TCP', source: null, destination: { family: 4, address: '10.1.2.3', prefixLength: 32 }, sourcePort: null, destinationPort: 8080 },
    { protocol: 'UDP', source: { family: 6, address: 'fd00::', prefixLength: 64 }, destination: null, sourcePort: 53, destinationPort: null },
    { protocol: 'TCP', source: null, destination: { family: 6, address: '::ffff:a00:1', prefixLength: 128 }, sourcePort: null, destinationPort: null },
  ]);
  assert.equal(describeRule(rules[0]!), 'TCP any:any -> 10.1.2.3/32:8080');
});

test('host bits are cleared: 10.1.2.3/8 is 10.0.0.0/8', () => {
  const [rule] = parseWatchlist('rules:\n  - protocol: TCP\n    src-addr: 10.1.2.3/8\n    dst-addr: 0.0.0.0/0\n');
  assert.deepEqual(rule!.source, { family: 4, address: '10.0.0.0', prefixLength: 8 });
  assert.deepEqual(rule!.destination, { family: 4, address: '0.0.0.0', prefixLength: 0 });
  const [v6] = parseWatchlist('rules:\n  - protocol: UDP\n    dst-addr: "2001:db8:abcd:12ff::1/52"\n');
  assert.deepEqual(v6!.destination, { family: 6, address: '2001:db8:abcd:1000::', prefixLength: 52 });
});

test('an empty file, a comment-only file and `rules:` with nothing under it watch nothing', () => {
  assert.deepEqual(parseWatchlist(''), []);
  assert.deepEqual(parseWatchlist('# nothing yet\n'), []);
  assert.deepEqual(parseWatchlist('rules:\n'), []);
  assert.deepEqual(parseWatchlist('rules: []\n'), []);
});

test('address bytes: IPv4 in the first four, IPv6 with :: in the middle and at the ends', () => {
  assert.equal(parseIp('10.0.0.5', 4).toString('hex'), '0a000005' + '00'.repeat(12));
  assert.equal(parseIp('fd00::1', 6).toString('hex'), 'fd00' + '00'.repeat(13) + '01');
  assert.equal(parseIp('::', 6).toString('hex'), '00'.repeat(16));
  assert.equal(parseIp('1:2:3:4:5:6:7:8', 6).toString('hex'), '00010002000300040005000600070008');
});

test('unknown keys are ignored, as int-host-reporter (yaml.v3, not strict) ignores them, with one warning each naming rule and key', () => {
  const warnings: string[] = [];
  const rules = parseWatchlist('version: 2\nrules:\n  - protocol: TCP\n    dst-addr: 10.0.0.1\n  - protocol: UDP\n    dst_addr: 10.0.0.2\n    vlan: 5\n', { source: '/etc/wl.yaml', onWarning: (m) => warnings.push(m) });
  assert.equal(rules.length, 2);
  assert.equal(rules[0]!.destination?.address, '10.0.0.1');
  assert.equal(rules[1]!.destination, null, 'the misspelt key does not count: any address');
  assert.deepEqual(warnings.map((w) => w.replace(/;.*/, '')), [
    '/etc/wl.yaml: unknown top-level key "version" ignored: the file has only `rules:`',
    '/etc/wl.yaml: rule 2: unknown field "dst_addr" ignored (did you mean "dst-addr"?)',
    '/etc/wl.yaml: rule 2: unknown field "vlan" ignored',
  ]);
  assert.match(warnings[2]!, /a rule has protocol, src-addr, dst-addr, src-port, dst-port$/);
  assert.deepEqual(parseWatchlist('rule:\n  - protocol: TCP\n'), [], 'no `rules:`: nothing watched, as int-host-reporter');
});

/** Every invalid input: the message names the rule and the field, and says what to write. */
const INVALID: Array<{ name: string; text: string; message: RegExp }> = [
  { name: 'not YAML', text: 'rules: [\n', message: /^watchlist: not valid YAML/ },
  { name: 'a list at the top', text: '- protocol: TCP\n', message: /expected a mapping with a `rules:` list/ },
  { name: 'a scalar at the top', text: 'hello\n', message: /expected a mapping with a `rules:` list/ },
  { name: 'rules not a list', text: 'rules:\n  protocol: TCP\n', message: /`rules` must be a list/ },
  { name: 'rule not a mapping', text: 'rules:\n  - TCP\n', message: /rule 1: expected a mapping/ },
  { name: 'protocol missing', text: 'rules:\n  - dst-addr: 10.0.0.1\n', message: /rule 1: protocol is missing: write "protocol: TCP"/ },
  { name: 'protocol unknown', text: 'rules:\n  - protocol: TCP\n  - protocol: SCTP\n', message: /rule 2: protocol "SCTP": expected TCP or UDP/ },
  { name: 'protocol a number', text: 'rules:\n  - protocol: 6\n', message: /rule 1: protocol 6: expected TCP or UDP/ },
  { name: 'bad address', text: 'rules:\n  - protocol: TCP\n    src-addr: 10.0.0.300\n', message: /rule 1: src-addr: "10.0.0.300" is not an IPv4 or IPv6 address: expected e.g./ },
  { name: 'a host name', text: 'rules:\n  - protocol: TCP\n    dst-addr: example.com\n', message: /rule 1: dst-addr: "example.com" is not an IPv4 or IPv6 address/ },
  { name: 'zone id', text: 'rules:\n  - protocol: TCP\n    dst-addr: "fe80::1%eth0"\n', message: /rule 1: dst-addr: .* is not an IPv4 or IPv6 address/ },
  { name: 'IPv4 prefix too long', text: 'rules:\n  - protocol: TCP\n    dst-addr: 10.0.0.0/33\n', message: /rule 1: dst-addr: "10.0.0.0\/33": the prefix length must be 0-32 for IPv4/ },
  { name: 'IPv6 prefix too long', text: 'rules:\n  - protocol: TCP\n    dst-addr: "fd00::/129"\n', message: /prefix length must be 0-128 for IPv6/ },
  { name: 'prefix not a number', text: 'rules:\n  - protocol: TCP\n    dst-addr: 10.0.0.0/x\n', message: /prefix length must be 0-32/ },
  { name: 'address not a string', text: 'rules:\n  - protocol: TCP\n    dst-addr: [10.0.0.1]\n', message: /rule 1: dst-addr: .*expected an address or CIDR in quotes/ },
  { name: 'families differ', text: 'rules:\n  - protocol: TCP\n    src-addr: 10.0.0.1\n    dst-addr: "fd00::1"\n', message: /rule 1: src-addr is IPv4 but dst-addr is IPv6: .*split it into two rules/ },
  { name: 'port 0', text: 'rules:\n  - protocol: TCP\n    dst-port: 0\n', message: /rule 1: dst-port: 0: expected a port number 1-65535/ },
  { name: 'port too big', text: 'rules:\n  - protocol: UDP\n    src-port: 70000\n', message: /rule 1: src-port: 70000: expected a port number 1-65535/ },
  { name: 'port a name', text: 'rules:\n  - protocol: TCP\n    dst-port: http\n', message: /rule 1: dst-port: "http": expected a port number/ },
  { name: 'port a fraction', text: 'rules:\n  - protocol: TCP\n    dst-port: 80.5\n', message: /rule 1: dst-port: 80.5: expected a port number/ },
];

for (const c of INVALID) {
  test(`invalid: ${c.name}`, () => {
    assert.throws(() => parseWatchlist(c.text), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.match(err.message, c.message);
      return true;
    });
  });
}

test('more rules than the kernel map holds are refused; the limit itself is fine', () => {
  const rules = (n: number) => 'rules:\n' + Array.from({ length: n }, (_, i) => `  - protocol: TCP\n    dst-port: ${i + 1}\n`).join('');
  assert.equal(parseWatchlist(rules(WATCHLIST_MAX_RULES)).length, WATCHLIST_MAX_RULES);
  assert.throws(() => parseWatchlist(rules(WATCHLIST_MAX_RULES + 1)), /65 rules, but the kernel holds at most 64: merge rules/);
  assert.throws(() => parseWatchlist(rules(3), { maxRules: 2, source: '/etc/wl.yaml' }), /^ConfigError: \/etc\/wl.yaml: 3 rules/);
});
