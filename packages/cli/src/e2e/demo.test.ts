// `clovisor demo`, the README's first command, as a user runs it (root, the real stack): exit 0,
// the span table with the hop latency INT measured, the INT summary (flow reports per veth pair
// with min/median/max hop latency, the provoked drop with INT reason 29), and nothing left
// behind: no pod interface, namespace or policy rule; and a Ctrl-C in the middle of it, sent to
// its process group as a terminal does, leaves nothing behind either. Own topics
// (CLOVISOR_TOPIC_SUFFIX).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { intKernelProblem } from '@clovisor/libbpf';
import { stackUp } from '@clovisor/stack';
import { CLOVISOR_BIN } from '../lab/pipeline-process.js';
import { isolatedTopics } from '../lab/isolated-topics.js';

const REQUESTS = 4;

function runDemo(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLOVISOR_BIN, 'demo', '--requests', String(REQUESTS)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.once('exit', (code, signal) => {
    clearTimeout(timer);
    resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
  }));
}

test('clovisor demo: spans with their INT hop latency, the INT summary with hops and the provoked drop, and a clean exit', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const stack = await stackUp({ log: () => undefined });
  const topics = isolatedTopics(stack.brokers, 'e2e-demo');
  try {
    // metrics port 0: the default 9464 may be taken by another agent on this machine
    const { code, stdout, stderr } = await runDemo({ ...topics.env, CLOVISOR_METRICS_PORT: '0' }, 240_000);
    const context = `stdout:\n${stdout}\nstderr (end):\n${stderr.slice(-3000)}`;
    assert.equal(code, 0, context);

    const pods = /frontend (\S+) \(host veth (\S+)\) → backend (\S+):8080 \(host veth (\S+)\)/.exec(stdout);
    assert.ok(pods, context);
    const [, frontAddress, frontVeth, backAddress, backVeth] = pods;

    const spanRows = stdout.split('\n').filter((l) => /^[0-9a-f]{32}  /.test(l));
    assert.equal(spanRows.length, 2 * REQUESTS, context);
    assert.match(stdout, new RegExp(`${2 * REQUESTS} spans for ${REQUESTS} requests`));

    // nothing left behind, also not the drop rule
    const ip = (address: string) => address.replace(/\./g, '\\.');
    assert.ok(!existsSync(`/sys/class/net/${frontVeth}`) && !existsSync(`/sys/class/net/${backVeth}`), 'the pod veths are gone');
    assert.doesNotMatch(execFileSync('ip', ['rule', 'show'], { encoding: 'utf8' }), new RegExp(`from ${ip(frontAddress!)} `), 'the drop rule is gone');
    const lab = /^clv(\w{4})1h$/.exec(frontVeth!)![1];
    assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), new RegExp(`clv-${lab}-`), 'the pod namespaces are gone');

    if (intKernelProblem() !== null) {
      assert.match(stdout, /INT telemetry off: /);
      return;
    }
    for (const row of spanRows) assert.match(row, / \d+\.\d µs$/, `every span has the hop latency INT measured: ${row}`);

    assert.match(stdout, /INT telemetry: \d+ reports \(v0\.5\) at the demo's collector on 127\.0\.0\.1:\d+\n/);
    for (const [from, to] of [[`${frontVeth} (frontend)`, `${backVeth} (backend)`], [`${backVeth} (backend)`, `${frontVeth} (frontend)`]]) {
      const line = stdout.split('\n').find((l) => l.includes(`${from} → ${to}`) && l.endsWith(' µs'));
      assert.ok(line, `a flow report line ${from} → ${to}\n${context}`);
      const m = /^ {2}(\d+) .* (\d+\.\d) \/ (\d+\.\d) \/ (\d+\.\d) µs$/.exec(line);
      assert.ok(m, line);
      const [reports, min, median, max] = m.slice(1).map(Number) as [number, number, number, number];
      assert.ok(reports >= 1 && min > 0 && min <= median && median <= max, line);
    }
    assert.match(stdout, new RegExp(
      `\n {2}1 +after ingress on ${frontVeth} \\(frontend\\) +29 routing miss +TCP ${ip(frontAddress!)}:\\d+ → ${ip(backAddress!)}:8080  ← the demo's ip rule\n`,
    ), `the provoked drop, with its INT reason\n${context}`);

  } finally {
    await topics.remove();
  }
});

test('Ctrl-C in the middle of the demo (to its process group, as a terminal sends it): exit 130, pods, pipeline and rule gone', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const stack = await stackUp({ log: () => undefined });
  const topics = isolatedTopics(stack.brokers, 'e2e-demo-int');
  // its own process group, so the signal reaches the demo and its children as from a terminal
  const child = spawn(process.execPath, [CLOVISOR_BIN, 'demo', '--requests', '50'], { env: { ...topics.env, CLOVISOR_METRICS_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  try {
    const deadline = Date.now() + 120_000;
    while (!/4\/4 /.test(stdout) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(stdout, /4\/4 /, `the demo reached its requests\n${stdout}\n${stderr.slice(-2000)}`);
    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
    assert.equal(code, 130, `stdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`);
    assert.match(stderr, /demo: SIGINT: removing what the demo created/);
    assert.match(stdout, /Demo pods removed/);
    const [, frontVeth, backVeth] = /host veth (\S+)\) → backend \S+ \(host veth (\S+)\)/.exec(stdout)!;
    assert.ok(!existsSync(`/sys/class/net/${frontVeth}`) && !existsSync(`/sys/class/net/${backVeth}`), 'the pod veths are gone');
    const lab = /^clv(\w{4})1h$/.exec(frontVeth!)![1];
    assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), new RegExp(`clv-${lab}-`), 'the pod namespaces are gone');
    assert.doesNotMatch(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }), new RegExp(`--interface ${frontVeth}=`), 'clovisor run has exited');
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await topics.remove();
  }
});
