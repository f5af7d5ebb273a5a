// The CLI's surface: --help everywhere, and bad input answered with one clear line and the
// right exit code, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';

function clovisor(args: string[], env: NodeJS.ProcessEnv = {}, prefix: string[] = []) {
  const [cmd, ...pre] = prefix.length ? prefix : [process.execPath];
  const res = spawnSync(cmd!, [...pre, ...(prefix.length ? [process.execPath] : []), CLOVISOR_BIN, ...args], {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function assertOneLineError(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('every command has --help', () => {
  for (const command of [[], ['run'], ['capture'], ['decode'], ['correlate'], ['export'], ['stack'], ['demo'], ['int'], ['int', 'listen']]) {
    const res = clovisor([...command, '--help']);
    assert.equal(res.code, 0, `${command.join(' ')} --help: ${res.stderr}`);
    assert.match(res.stdout, /Usage: clovisor/);
  }
  const run = clovisor(['run', '--help']).stdout;
  for (const flag of ['--interface', '--port', '--brokers', '--redis', '--otlp-endpoint', 'CLOVISOR_BROKERS', 'CLOVISOR_REDIS_URL', 'CLOVISOR_OTLP_ENDPOINT',
    '--node-interface', 'CLOVISOR_NODE_INTERFACES', '--flow-table-size', '--flow-idle-timeout', '--self-trace-endpoint', 'CLOVISOR_SELF_TRACE_ENDPOINT']) {
    assert.ok(run.includes(flag), `run --help mentions ${flag}`);
  }
});

test('unknown command and unknown flag are usage errors', () => {
  const a = clovisor(['frobnicate']);
  assert.equal(a.code, 2);
  assertOneLineError(a.stderr, /unknown command "frobnicate"/);
  const b = clovisor(['decode', '--bogus']);
  assert.equal(b.code, 2);
  assertOneLineError(b.stderr, /--bogus/);
});

test('malformed --port says what is expected', () => {
  for (const [value, pattern] of [['8080', /expected <port>=<protocol>/], ['99999=http', /port must be 1-65535/], ['8080=gopher', /unknown protocol "gopher"; known: http/]] as const) {
    const res = clovisor(['run', '--interface', 'lo', '--port', value]);
    assert.equal(res.code, 2, res.stderr);
    assertOneLineError(res.stderr, pattern);
  }
});

test('an unknown interface is named, with what to check', () => {
  const res = clovisor(['capture', '--interface', 'nosuch0', '--port', '8080=http', '--brokers', '127.0.0.1:1']);
  assert.equal(res.code, 2, res.stderr);
  assertOneLineError(res.stderr, /--interface nosuch0: no such interface.*ip link/);
});

test('without root, capture says it needs root', () => {
  const res = clovisor(['capture', '--interface', 'lo', '--port', '8080=http', '--brokers', '127.0.0.1:1'], {}, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
  assert.equal(res.code, 2, res.stderr);
  assertOneLineError(res.stderr, /needs root/);
});

test('Kafka unreachable at start: retries with backoff, says what to do, exits 0 on SIGINT', async () => {
  const child = spawn(process.execPath, [CLOVISOR_BIN, 'decode', '--brokers', '127.0.0.1:1', '--metrics-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const deadline = Date.now() + 20_000;
  while ((stderr.match(/Kafka unreachable/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGINT');
  const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
  assert.match(stderr, /Kafka unreachable at 127\.0\.0\.1:1: .*retrying in .* \(start it with `clovisor stack up` or pass --brokers\)/);
  assert.ok((stderr.match(/Kafka unreachable/g) ?? []).length >= 2, 'it retried');
  assert.equal(code, 0);
});

test('OTLP endpoint unreachable at start: says so, keeps running, exits 0 on SIGINT', async () => {
  const child = spawn(process.execPath, [CLOVISOR_BIN, 'export', '--otlp-endpoint', 'http://127.0.0.1:1', '--metrics-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const deadline = Date.now() + 30_000;
  while (!/ running /.test(stderr) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGINT');
  const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
  assert.match(stderr, /OTLP endpoint http:\/\/127\.0\.0\.1:1 is not reachable: spans wait in Kafka/);
  assert.match(stderr, / running /);
  assert.equal(code, 0, stderr);
});
