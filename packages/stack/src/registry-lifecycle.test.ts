/*
 * The schema registry as a managed component, on a private state dir and free ports (never the
 * default stack): `up --registry`, status, reuse, down, ids that survive a restart, and
 * CLOVISOR_SCHEMA_REGISTRY winning. Real Apicurio (built once into the shared cache).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { StackError, formatStatus, probeSchemaRegistry, stackDown, stackStatus, stackUp } from './index.js';
import { isAlive } from './proc.js';
import { readState } from './state.js';
import { freePort, isolated, quiet } from './testing.js';
import { portOpen } from './tcp.js';

const CONTENT_TYPE = { 'content-type': 'application/vnd.schemaregistry.v1+json' };

async function register(url: string, subject: string, recordName: string): Promise<number> {
  const schema = JSON.stringify({ type: 'record', name: recordName, namespace: 'clovisor.test', fields: [{ name: 'n', type: 'long' }] });
  const res = await fetch(`${url}/subjects/${subject}/versions`, { method: 'POST', headers: CONTENT_TYPE, body: JSON.stringify({ schema }) });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return (JSON.parse(body) as { id: number }).id;
}

async function schemaName(url: string, id: number): Promise<string> {
  const res = await fetch(`${url}/schemas/ids/${id}`);
  assert.equal(res.status, 200, `schema ${id}: HTTP ${res.status}`);
  return (JSON.parse(((await res.json()) as { schema: string }).schema) as { name: string }).name;
}

test('stack up --registry: started detached and recorded, listed by status, reused, stopped by down; ids survive', { timeout: 6 * 60_000 }, async (t) => {
  const o = await isolated(t);
  const url = `http://127.0.0.1:${o.ports.registry}/apis/ccompat/v7`;

  const before = await stackStatus(o);
  assert.equal(before.components.registry, undefined, 'no row before it was ever started');
  assert.match(formatStatus(before), /registry not enabled/);

  const ep = await stackUp({ ...o, only: ['registry'], log: quiet });
  assert.equal(ep.schemaRegistry, url);
  const owned = readState(o.stateDir).components.registry!;
  assert.ok(isAlive(owned.pid));
  assert.ok(owned.log.startsWith(o.stateDir) && existsSync(owned.log), 'log in the state dir');
  const st = await stackStatus(o);
  assert.deepEqual(
    { up: st.components.registry?.up, ours: st.components.registry?.ours, pid: st.components.registry?.pid, endpoint: st.components.registry?.endpoint },
    { up: true, ours: true, pid: owned.pid, endpoint: url },
  );
  assert.equal(st.endpoints.schemaRegistry, url);
  assert.match(formatStatus(st), new RegExp(`registry +up +ours, pid ${owned.pid} +${url.replaceAll('.', '\\.')}`));

  const a = await register(url, 'a-value', 'A');
  const b = await register(url, 'b-value', 'B');
  assert.notEqual(a, b);

  // reuse: the same process, nothing started
  const lines: string[] = [];
  const again = await stackUp({ ...o, registry: true, only: [], log: (l) => lines.push(l) });
  assert.equal(again.schemaRegistry, url);
  assert.ok(!lines.some((l) => l.includes('starting')), lines.join(' | '));
  assert.equal(readState(o.stateDir).components.registry!.pid, owned.pid);

  // another stack given this one in CLOVISOR_SCHEMA_REGISTRY uses it, records and starts nothing
  const other = await isolated(t);
  const viaEnv = { ...other, env: { CLOVISOR_SCHEMA_REGISTRY: url } };
  assert.equal((await stackUp({ ...viaEnv, registry: true, only: [], log: quiet })).schemaRegistry, url);
  assert.deepEqual(readState(other.stateDir).components, {});
  assert.equal(await portOpen('127.0.0.1', other.ports.registry), false, 'no registry of its own');
  const envRow = (await stackStatus(viaEnv)).components.registry;
  assert.deepEqual([envRow?.source, envRow?.up, envRow?.ours], ['env', true, false]);
  await stackDown({ ...viaEnv, log: quiet });
  assert.ok(isAlive(owned.pid), 'the other stack\'s down leaves it alone');

  await stackDown({ ...o, log: quiet });
  assert.equal(isAlive(owned.pid), false);
  assert.equal(await portOpen('127.0.0.1', o.ports.registry), false, 'port released');
  assert.equal((await stackStatus(o)).components.registry, undefined, 'no row once stopped and forgotten');

  // a new process on the same state dir: the same ids name the same schemas, new ones continue
  await stackUp({ ...o, env: { CLOVISOR_STACK_REGISTRY: '1' }, only: [], log: quiet });
  const second = readState(o.stateDir).components.registry!;
  assert.notEqual(second.pid, owned.pid);
  assert.equal(await schemaName(url, a), 'A');
  assert.equal(await schemaName(url, b), 'B');
  const c = await register(url, 'c-value', 'C');
  assert.ok(c > Math.max(a, b), `new id ${c} after ${a}, ${b}`);

  // killed behind our back: status shows the row as down (exit 3 in the CLI) until down forgets it
  process.kill(second.pid, 'SIGKILL');
  for (let i = 0; i < 100 && isAlive(second.pid); i++) await new Promise((r) => setTimeout(r, 100));
  const dead = await stackStatus(o);
  assert.equal(dead.components.registry?.up, false);
  assert.equal(dead.components.registry?.ours, false);
  // ...and the next up starts a new one on the same storage, which a SIGKILL did not damage
  await stackUp({ ...o, only: ['registry'], log: quiet });
  assert.equal(await schemaName(url, c), 'C');
  assert.equal(await schemaName(url, a), 'A');
  await stackDown({ ...o, only: ['registry'], log: quiet });
  assert.deepEqual(readState(o.stateDir).components, {});
});

test('CLOVISOR_SCHEMA_REGISTRY wins: an unreachable one is a clear error, nothing is started', { timeout: 60_000 }, async (t) => {
  const o = await isolated(t);
  const nobody = `http://127.0.0.1:${await freePort()}/apis/ccompat/v7`;
  const env = { CLOVISOR_SCHEMA_REGISTRY: nobody };
  await assert.rejects(
    stackUp({ ...o, env, only: ['registry'], log: quiet }),
    (e: unknown) => e instanceof StackError && e.code === 'ENDPOINT_UNREACHABLE' && e.message.startsWith(`CLOVISOR_SCHEMA_REGISTRY points at ${nobody} but nothing listens`),
  );
  assert.deepEqual(readState(o.stateDir).components, {});
  assert.equal(await portOpen('127.0.0.1', o.ports.registry), false);
  const st = await stackStatus({ ...o, env });
  assert.equal(st.components.registry?.source, 'env');
  assert.equal(st.components.registry?.up, false);
  assert.equal((await probeSchemaRegistry(nobody)).reachable, false);
});
