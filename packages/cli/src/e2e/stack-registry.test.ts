// `clovisor stack registry`: the real Apicurio Registry in the foreground on the given port,
// answering the Confluent API at the URL it prints, and gone after Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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
