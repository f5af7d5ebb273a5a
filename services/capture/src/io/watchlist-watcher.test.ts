// A real watchlist file in a temporary directory, changed the ways users and Kubernetes change it:
// rewritten in place, broken by a bad edit (the last good rules stay, one log line), replaced the
// way a ConfigMap volume does it (a new timestamped directory, then the `..data` symlink renamed
// over the old one), removed and restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createLogger } from '@clovisor/core';
import type { WatchlistRule } from '../core/watchlist.js';
import { WatchlistWatcher } from './watchlist-watcher.js';

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const began = Date.now();
  while (!check()) {
    if (Date.now() - began > ms) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rule = (port: number) => `rules:\n  - protocol: TCP\n    dst-addr: 10.9.0.0/16\n    dst-port: ${port}\n`;

function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('test', (l) => lines.push(l)), lines };
}

test('rewrite in place, bad edit kept out, fixed again: reloads and errors counted, one warning per problem', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clv-wl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'watchlist.yaml');
  writeFileSync(path, rule(80));
  const seen: WatchlistRule[][] = [];
  const { log, lines } = capturingLogger();
  const watcher = new WatchlistWatcher({ path, onRules: (r) => seen.push(r), debounceMs: 50, pollMs: 0 }, log);
  t.after(() => watcher.stop());
  const initial = watcher.start();
  assert.equal(initial[0]!.destinationPort, 80);

  writeFileSync(path, rule(8080));
  await until('the rewrite', () => seen.length === 1);
  assert.equal(seen[0]![0]!.destinationPort, 8080);
  assert.deepEqual(watcher.stats(), { reloads: 1, errors: 0, rules: 1 });

  writeFileSync(path, 'rules:\n  - protocol: SCTP\n');
  await until('the bad edit', () => watcher.stats().errors === 1);
  assert.equal(watcher.current()[0]!.destinationPort, 8080, 'the last good rules stay');
  const warnings = lines.filter((l) => l.includes('INT watchlist change ignored'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /keeping the last good rules \(1\): .*rule 1: protocol "SCTP": expected TCP or UDP/);

  // touching the bad file again (same content) is not another error
  writeFileSync(path, 'rules:\n  - protocol: SCTP\n');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(watcher.stats().errors, 1);

  writeFileSync(path, rule(9090));
  await until('the fix', () => seen.length === 2);
  assert.equal(seen[1]![0]!.destinationPort, 9090);
  assert.deepEqual(watcher.stats(), { reloads: 2, errors: 1, rules: 1 });
});

test('Kubernetes ConfigMap volume: ..data symlink swapped to a new directory is one reload; removal keeps the rules', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clv-wl-cm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // kubelet's layout: <dir>/..2024_01_01_v1/watchlist.yaml, <dir>/..data -> ..2024_01_01_v1, <dir>/watchlist.yaml -> ..data/watchlist.yaml
  const version = (name: string, text: string) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'watchlist.yaml'), text);
  };
  version('..v1', rule(80));
  symlinkSync('..v1', join(dir, '..data'));
  symlinkSync('..data/watchlist.yaml', join(dir, 'watchlist.yaml'));
  const seen: WatchlistRule[][] = [];
  const { log } = capturingLogger();
  const watcher = new WatchlistWatcher({ path: join(dir, 'watchlist.yaml'), onRules: (r) => seen.push(r), debounceMs: 50, pollMs: 0 }, log);
  t.after(() => watcher.stop());
  assert.equal(watcher.start()[0]!.destinationPort, 80);

  // the atomic update: new directory, temporary symlink, renamed over ..data, old directory removed
  version('..v2', rule(443) + '  - protocol: UDP\n    dst-port: 53\n');
  symlinkSync('..v2', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  rmSync(join(dir, '..v1'), { recursive: true });
  await until('the symlink swap', () => seen.length === 1);
  assert.deepEqual(seen[0]!.map((r) => [r.protocol, r.destinationPort]), [['TCP', 443], ['UDP', 53]]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(watcher.stats().reloads, 1, 'the burst of events of one swap is one reload');

  // the ConfigMap deleted: the file vanishes; the rules stay, one error
  unlinkSync(join(dir, '..data'));
  await until('the removal', () => watcher.stats().errors === 1);
  assert.equal(watcher.current().length, 2);
  symlinkSync('..v2', join(dir, '..data'));
  writeFileSync(join(dir, '..v2', 'watchlist.yaml'), rule(22));
  await until('the restore', () => seen.length === 2);
  assert.equal(seen[1]![0]!.destinationPort, 22);
});

test('periodic re-read picks up a change without a file event', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clv-wl-poll-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'wl.yaml');
  writeFileSync(path, rule(80));
  const seen: WatchlistRule[][] = [];
  const watcher = new WatchlistWatcher({ path, onRules: (r) => seen.push(r), debounceMs: 60_000, pollMs: 100 }, capturingLogger().log);
  t.after(() => watcher.stop());
  watcher.start();
  writeFileSync(path, rule(81));
  await until('the poll', () => seen.length === 1, 3000);
  assert.equal(seen[0]![0]!.destinationPort, 81);
});

test('a missing or invalid file at start is a ConfigError that names the flag', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clv-wl-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { log } = capturingLogger();
  assert.throws(() => new WatchlistWatcher({ path: join(dir, 'none.yaml'), onRules: () => undefined }, log).start(), (err: unknown) => err instanceof ConfigError && /--int-watchlist .*none.yaml: cannot read it/.test(err.message));
  writeFileSync(join(dir, 'bad.yaml'), 'rules:\n  - protocol: TCP\n    dst-addr: nope\n');
  assert.throws(() => new WatchlistWatcher({ path: join(dir, 'bad.yaml'), onRules: () => undefined }, log).start(), /--int-watchlist .*bad.yaml: rule 1: dst-addr: "nope" is not an IPv4 or IPv6 address/);
});
