// The schema registry from the CLI, real Apicurio: `stack up --registry` / status / down on a
// private state dir and port (Kafka, Redis and Jaeger of the shared stack are only reused, never
// recorded or stopped there), and the foreground `clovisor stack registry` until Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@clovisor/stack/testing';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';

test('stack registry --port: prints the ccompat URL, serves the Confluent API there, SIGINT stops it', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [CLOVISOR_BIN, 'stack', 'registry', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 180_000;
    while (!stdout.includes('\n')) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `no URL printed: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const url = stdout.trim();
    assert.equal(url, `http://127.0.0.1:${port}/apis/ccompat/v7`);
    const schema = JSON.stringify({ type: 'record', name: 'Probe', namespace: 'clovisor.test', fields: [{ name: 'n', type: 'long' }] });
    const reg = await fetch(`${url}/subjects/probe-value/versions`, {
      method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema }),
    });
    assert.equal(reg.status, 200);
    const { id } = (await reg.json()) as { id: number };
    const back = (await (await fetch(`${url}/schemas/ids/${id}`)).json()) as { schema: string };
    assert.deepEqual(JSON.parse(back.schema), JSON.parse(schema));
    assert.deepEqual(await (await fetch(`${url}/subjects`)).json(), ['probe-value']);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /SIGINT: stopping the schema registry/);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/apis/ccompat/v7/subjects`), 'nothing listens after Ctrl-C');
});

test('stack registry --port with a bad port is a usage error', () => {
  const res = spawnSync(process.execPath, [CLOVISOR_BIN, 'stack', 'registry', '--port', '70000'], { encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /--port "70000": expected a TCP port/);
});

test('stack up --registry: JSON with schemaRegistry, a status row, reused by a second up, stopped by down', { timeout: 6 * 60_000 }, async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clovisor-stack-registry-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, CLOVISOR_STATE_DIR: stateDir, CLOVISOR_SCHEMA_REGISTRY_PORT: String(port) };
  delete env['CLOVISOR_SCHEMA_REGISTRY'];
  delete env['CLOVISOR_STACK_REGISTRY'];
  const stack = (...args: string[]) => spawnSync(process.execPath, [CLOVISOR_BIN, 'stack', ...args], { encoding: 'utf8', env, timeout: 300_000 });
  t.after(() => {
    stack('down');
    rmSync(stateDir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;

  const up = stack('up', '--registry', '--json');
  assert.equal(up.status, 0, up.stderr);
  const endpoints = JSON.parse(up.stdout) as Record<string, string>;
  assert.equal(endpoints['schemaRegistry'], url);
  assert.ok(endpoints['brokers'] && endpoints['otlpHttp'], up.stdout);
  assert.match(up.stderr, /starting the schema registry/);

  const status = stack('status');
  assert.equal(status.status, 0, status.stdout + status.stderr);
  const row = new RegExp(`^registry +up +ours, pid (\\d+) +${url.replaceAll('.', '\\.')}$`, 'm').exec(status.stdout);
  assert.ok(row, status.stdout);
  const json = JSON.parse(stack('status', '--json').stdout) as { components: Record<string, { pid: number | null }>; endpoints: Record<string, string> };
  assert.equal(json.components['registry']?.pid, Number(row[1]));
  assert.equal(json.endpoints['schemaRegistry'], url);

  const again = stack('up', '--only', 'registry');
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /starting/);
  assert.match(again.stdout, new RegExp(`^registry +up +ours, pid ${row[1]} `, 'm'), 'the same process');

  const foreground = stack('registry', '--port', String(port));
  assert.equal(foreground.status, 1);
  assert.match(foreground.stderr, new RegExp(`clovisor: stack: a schema registry already answers at ${url.replaceAll('.', '\\.')} .*give that URL to --schema-registry`));

  const down = stack('down');
  assert.equal(down.status, 0, down.stderr);
  assert.match(down.stderr, new RegExp(`stopped schema registry \\(pid ${row[1]}, terminated\\)`));
  const after = stack('status');
  assert.match(after.stdout, /^registry not enabled/m);
  assert.doesNotMatch(after.stdout, /^registry +(up|down) /m);
  await assert.rejects(fetch(`${url}/subjects`), 'nothing listens after stack down');
});
