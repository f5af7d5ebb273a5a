// `clovisor run --kubernetes` end to end on real components: the real @kubernetes/client-node
// informers against the small list/watch API server (services/capture/src/testing), Lab pods
// (network namespaces behind veths) whose Pod/Service objects are created and deleted while
// the agent runs, Clovisor's configuration in the real Redis (database 7) changed while it
// runs, real HTTP traffic, spans read back from Jaeger. A second agent (`capture --kubernetes`,
// another node name) runs with Redis unreachable, is SIGKILLed and restarted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stackUp, type StackEndpoints } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { KubeApiServer } from '@clovisor/capture';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { isolatedTopics, type IsolatedTopics } from '../lab/isolated-topics.js';
import { getTrace, waitForTrace, tag, serviceOf } from '../lab/jaeger-query.js';
import { serveHttp } from '../lab/serve-http.js';

const run = promisify(execFile);
const REDIS_DB = 7;
const NODE = `node-a-${randomBytes(2).toString('hex')}`;
const NODE_B = `node-b-${randomBytes(2).toString('hex')}`;
const hex = (n: number) => randomBytes(n).toString('hex');
const id = hex(3);
const TEAM = `team-${id}`;
const SIDE = `side-${id}`;
const WEB_SERVICE = `web-${id}`;

let stack: StackEndpoints;
let api: KubeApiServer;
let lab: Lab;
let topics: IsolatedTopics;
let agent: PipelineProcess;
let metricsPort: number;
let stateDir: string;
let caller: Pod;
let web: Pod;
let side: Pod;
let remote: Pod;
let dflt: Pod;
let late: Pod;
const extra: ChildProcess[] = [];

async function redis(...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-n', String(REDIS_DB), ...args])).stdout.trim();
}
const CONFIG_KEYS = ['clovisor_labels', 'clovisor_egress_match', 'clovior_egress_match', 'clovisor_jaeger_collector', 'clovisor_jaeger_agent'];

async function serve(pod: Pod, port: number): Promise<void> {
  await serveHttp(pod, port);
}

/** Our tc filter (program capture_ingress/capture_egress) on a device, any hook. */
async function filters(dev: string): Promise<string> {
  const out: string[] = [];
  for (const hook of ['ingress', 'egress']) out.push(await run('tc', ['filter', 'show', 'dev', dev, hook]).then((r) => r.stdout, () => ''));
  return out.join('\n');
}
// someone else's filter, ahead of ours (pref 100 < 3088), matching only SCTP so our traffic reaches our filter
const FOREIGN_FILTER = ['pref', '100', 'protocol', 'ip', 'u32', 'match', 'ip', 'protocol', '132', '0xff', 'classid', '1:1'];
const ours = (text: string) => /capture_(ingress|egress)/.test(text);

/** Polls until cond() holds; returns the ms it took, or throws after timeoutMs. */
async function within(timeoutMs: number, what: string, cond: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}\nagent log:\n${agent?.log().split('\n').slice(-25).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function podObject(name: string, namespace: string, labels: Record<string, string>, pod: Pod, node: string, ports: Array<{ name: string; containerPort: number }>) {
  return {
    metadata: { name, namespace, labels },
    spec: { nodeName: node, containers: [{ name: 'app', ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) }] },
    status: { phase: 'Running', podIP: pod.address, podIPs: [{ ip: pod.address }] },
  };
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

async function curlFrom(pod: Pod, url: string, traceId: string): Promise<string> {
  const { stdout } = await pod.exec('curl', ['-sS', '--max-time', '10', '-H', `traceparent: 00-${traceId}-${hex(8)}-01`, url]);
  return stdout;
}

before(async () => {
  stack = await stackUp({ log: () => undefined });
  topics = isolatedTopics(stack.brokers, 'e2e-k8s');
  api = await KubeApiServer.start();
  stateDir = mkdtempSync(join(tmpdir(), 'clovisor-state-'));
  await redis('DEL', ...CONFIG_KEYS);
  await redis('RPUSH', 'clovisor_labels', TEAM);
  // Clovisor's collector setting; with no --otlp-endpoint the exporter must take it (as OTLP)
  await redis('SET', 'clovisor_jaeger_collector', `${new URL(stack.otlpHttp).hostname}:14268`);
  lab = new Lab();
  caller = await lab.addPod('caller');
  web = await lab.addPod('web');
  side = await lab.addPod('side');
  remote = await lab.addPod('remote');
  dflt = await lab.addPod('dflt');
  late = await lab.addPod('late');
  await serve(web, 8080);
  await serve(web, 8081);
  await serve(side, 8080);
  await serve(remote, 9090);
  await serve(dflt, 8080);
  metricsPort = await freePort();
  const env: NodeJS.ProcessEnv = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_STATE_DIR: stateDir };
  delete env['CLOVISOR_OTLP_ENDPOINT'];
  agent = await startClovisor(
    ['run', '--kubernetes', '--kubeconfig', api.kubeconfigPath(), '--node', NODE, '--redis', `redis://127.0.0.1:6379/${REDIS_DB}`, '--metrics-port', String(metricsPort)],
    env,
  );
});

after(async () => {
  if (agent) assert.equal(await agent.stop(), 0, `agent exit code; log:\n${agent.log().slice(-3000)}`);
  for (const child of extra) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await lab?.destroy();
  await api?.stop();
  await redis('DEL', ...CONFIG_KEYS).catch(() => undefined);
  await topics?.remove();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test('the OTLP endpoint comes from clovisor_jaeger_collector when no flag or env names one', () => {
  assert.match(agent.log(), /OTLP endpoint from Redis otlp=http:\/\/127\.0\.0\.1:4318 key=clovisor_jaeger_collector/);
  assert.equal(stack.otlpHttp, 'http://127.0.0.1:4318', 'the stack\'s OTLP/HTTP port is the one the suggestion names');
});

test('an explicit --otlp-endpoint wins over the Redis suggestion, and the choice is logged', async () => {
  const stateC = mkdtempSync(join(tmpdir(), 'clovisor-state-c-'));
  const env: NodeJS.ProcessEnv = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_STATE_DIR: stateC };
  delete env['CLOVISOR_OTLP_ENDPOINT'];
  const c = await startClovisor(['run', '--kubernetes', '--kubeconfig', api.kubeconfigPath(), '--node', `${NODE}-c`, '--redis', `redis://127.0.0.1:6379/${REDIS_DB}`,
    '--metrics-port', '0', '--otlp-endpoint', 'http://localhost:4318'], env);
  try {
    assert.match(c.log(), /OTLP endpoint from flag\/environment; ignoring the one Redis suggests otlp=http:\/\/localhost:4318 redis=http:\/\/127\.0\.0\.1:4318 key=clovisor_jaeger_collector/);
    assert.match(c.log(), / running .*otlp=http:\/\/localhost:4318/);
  } finally {
    assert.equal(await c.stop(), 0);
    rmSync(stateC, { recursive: true, force: true });
  }
});

test('a second agent for the same node and state directory refuses to start instead of taking over our filters', async () => {
  const env = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_STATE_DIR: stateDir };
  await assert.rejects(
    startClovisor(['capture', '--kubernetes', '--kubeconfig', api.kubeconfigPath(), '--node', NODE, '--redis', `redis://127.0.0.1:6379/${REDIS_DB}`, '--metrics-port', '0'], env, 20_000),
    new RegExp(`belongs to capture agent pid ${agent.child.pid}, which is running`),
  );
});

test('a selected pod is attached within 2 s of its creation and its requests become spans; a foreign tc filter survives', async () => {
  // someone else's filter on the same veth, before we attach
  await run('tc', ['qdisc', 'add', 'dev', web.hostInterface, 'clsact']);
  await run('tc', ['filter', 'add', 'dev', web.hostInterface, 'ingress', ...FOREIGN_FILTER]);
  const attachedBefore = await metric('clovisor_capture_interfaces_attached');
  api.addService({ metadata: { name: WEB_SERVICE, namespace: TEAM }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  api.addPod(podObject('web-1', TEAM, { app: 'web' }, web, NODE, [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 8081 }]));
  const ms = await within(2000, 'web pod attached', async () => ours(await filters(web.hostInterface)));
  console.log(`# web pod attached ${ms} ms after its Pod object was created`);
  assert.match(await filters(web.hostInterface), /pref 100 u32/, 'the foreign filter is still there');
  assert.equal(await metric('clovisor_capture_interfaces_attached'), attachedBefore + 1);

  const traceId = hex(16);
  assert.match(await curlFrom(caller, `http://${web.address}:8080/created`, traceId), /"ok":true/);
  const trace = await waitForTrace(stack.jaegerQuery, traceId, 1, 60_000);
  assert.ok(trace, `trace ${traceId} never reached Jaeger; log:\n${agent.log().slice(-3000)}`);
  const server = trace.spans.find((s) => tag(s, 'span.kind') === 'server');
  assert.ok(server, 'a SERVER span');
  assert.equal(tag(server, 'url.path'), '/created');
  assert.equal(serviceOf(trace, server), WEB_SERVICE, 'service.name is the Service selecting the pod');
});

test('a service port change updates the kernel port map live: 8081 (named metrics, not traced) becomes http-alt', async () => {
  const before = hex(16);
  await curlFrom(caller, `http://${web.address}:8081/before`, before);
  const mark = agent.log().length;
  api.updateService({ metadata: { name: WEB_SERVICE, namespace: TEAM }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'http-alt', port: 81, targetPort: 8081 }] } });
  await within(2000, 'the port update applied', async () => /interface updated.*ports=8080=http,8081=http/.test(agent.log().slice(mark)));
  const after = hex(16);
  await curlFrom(caller, `http://${web.address}:8081/after`, after);
  const trace = await waitForTrace(stack.jaegerQuery, after, 1, 60_000);
  assert.ok(trace, 'the request on the newly named port is traced');
  assert.equal(tag(trace.spans[0]!, 'url.path'), '/after');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(await getTrace(stack.jaegerQuery, before), null, 'the request before the change was not traced');
});

test('a changed clovisor_jaeger_collector applies live: the exporter switches endpoint and spans keep arriving', async () => {
  const mark = agent.log().length;
  const requestsBefore = await metric('clovisor_exporter_otlp_requests_total');
  // the same Jaeger under another name: spans still arrive only if the new exporter works
  await redis('SET', 'clovisor_jaeger_collector', 'localhost:14268');
  await within(2000, 'the new collector noticed', async () => /OTLP endpoint from Redis changed otlp=http:\/\/localhost:4318 key=clovisor_jaeger_collector/.test(agent.log().slice(mark)));
  const traceId = hex(16);
  await curlFrom(caller, `http://${web.address}:8080/moved`, traceId);
  const trace = await waitForTrace(stack.jaegerQuery, traceId, 1, 60_000);
  assert.ok(trace, `trace ${traceId} never reached Jaeger after the switch; log:\n${agent.log().slice(-3000)}`);
  assert.match(agent.log().slice(mark), /exporting to a new OTLP endpoint otlp=http:\/\/localhost:4318/);
  // the run's one /metrics: the replaced OTLP client's requests still counted, the new one's added
  assert.ok(requestsBefore > 0, 'spans were exported before the switch');
  assert.ok(await metric('clovisor_exporter_otlp_requests_total') > requestsBefore, 'clovisor_exporter_otlp_requests_total went on from its total');
});

test('pods of unselected namespaces are not attached; adding a label selector to clovisor_labels attaches within 2 s; removing it detaches', async () => {
  api.addPod(podObject('side-1', SIDE, { tier: 'edge' }, side, NODE, [{ name: 'http', containerPort: 8080 }]));
  api.addPod(podObject('side-2', SIDE, { tier: 'core' }, caller, NODE, [{ name: 'http', containerPort: 8080 }]));
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(ours(await filters(side.hostInterface)), false, 'namespace not in clovisor_labels');
  const reloadsBefore = await metric('clovisor_capture_config_reloads_total');
  const t0 = Date.now();
  await redis('RPUSH', 'clovisor_labels', `${SIDE}:tier:edge`);
  await within(2000, 'side pod attached after the labels change', async () => ours(await filters(side.hostInterface)));
  console.log(`# labels change applied in ${Date.now() - t0} ms`);
  assert.equal(ours(await filters(caller.hostInterface)), false, 'the label value must match too');
  assert.ok(await metric('clovisor_capture_config_reloads_total') > reloadsBefore);
  await redis('LREM', 'clovisor_labels', '0', `${SIDE}:tier:edge`);
  await within(2000, 'side pod detached after the labels change', async () => !ours(await filters(side.hostInterface)));
});

test('egress match rules: outbound calls of pods with the name prefix are traced within 2 s; an invalid entry is logged, the valid one applies', async () => {
  const before = hex(16);
  assert.match(await curlFrom(web, `http://${remote.address}:9090/out-before`, before), /"ok":true/);
  const invalid = `not-a-rule-${id}`;
  let mark = agent.log().length;
  await redis('RPUSH', 'clovisor_egress_match', invalid, `${remote.address}:9090:web-`, '10.0.0.1:9090:nomatch-');
  const t0 = Date.now();
  await within(2000, 'egress rule applied', async () => /interface updated.*egressRules=1/.test(agent.log().slice(mark)));
  console.log(`# egress rule applied in ${Date.now() - t0} ms`);
  assert.match(agent.log(), new RegExp(`invalid Redis configuration entry ignored key=clovisor_egress_match entry=${invalid} reason=`));
  const after = hex(16);
  assert.match(await curlFrom(web, `http://${remote.address}:9090/out-after`, after), /"ok":true/);
  const trace = await waitForTrace(stack.jaegerQuery, after, 1, 60_000);
  assert.ok(trace, `the outbound call never became a span; log:\n${agent.log().slice(-3000)}`);
  const client = trace.spans.find((s) => tag(s, 'span.kind') === 'client');
  assert.ok(client, 'a CLIENT span: the pod is the caller');
  assert.equal(tag(client, 'url.path'), '/out-after');
  assert.equal(serviceOf(trace, client), WEB_SERVICE);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(await getTrace(stack.jaegerQuery, before), null, 'before the rule the outbound call was not traced');
  mark = agent.log().length;
  await redis('DEL', 'clovisor_egress_match');
  await within(2000, 'egress rule removed', async () => /interface updated.*egressRules=0/.test(agent.log().slice(mark)));
});

test('a pod whose host interface cannot be found yet is logged once and retried until it is', async () => {
  // link down: the host has no route to the pod through its veth, as before the CNI finished
  await run('ip', ['link', 'set', late.hostInterface, 'down']);
  api.addPod(podObject('late-1', TEAM, { app: 'late' }, late, NODE, [{ name: 'http', containerPort: 8080 }]));
  await within(3000, 'the failed lookup logged', async () => new RegExp(`host-side interface of a pod not found; retrying every 1000 ms pod=${TEAM}/late-1`).test(agent.log()));
  assert.equal(ours(await filters(late.hostInterface)), false);
  const t0 = Date.now();
  await run('ip', ['link', 'set', late.hostInterface, 'up']);
  await within(2500, 'attached once the interface is there', async () => ours(await filters(late.hostInterface)));
  console.log(`# late pod attached ${Date.now() - t0} ms after its veth came up`);
  assert.match(agent.log(), new RegExp(`host-side interface found after retrying pod=${TEAM}/late-1 interface=${late.hostInterface}`));
  api.deletePod(TEAM, 'late-1');
  await within(2000, 'late pod detached', async () => !ours(await filters(late.hostInterface)));
});

test('after the API server compacts its history and drops the watches (410 Gone on resume), the agent relists and keeps following', async () => {
  const goneBefore = api.stats().gone;
  api.compact();
  api.closeWatches();
  api.addPod(podObject('late-2', TEAM, { app: 'late' }, late, NODE, [{ name: 'http', containerPort: 8080 }]));
  await within(3000, 'pod created after the compaction attached', async () => ours(await filters(late.hostInterface)));
  assert.ok(api.stats().gone > goneBefore, 'the resumed watch was answered 410 and the client relisted');
  api.deletePod(TEAM, 'late-2');
  await within(2000, 'late-2 detached', async () => !ours(await filters(late.hostInterface)));
});

test('a pod whose veth is replaced (same pod, same IP: the sandbox was recreated) is attached again on the new veth', async () => {
  api.addPod(podObject('late-3', TEAM, { app: 'late' }, late, NODE, [{ name: 'http', containerPort: 8080 }]));
  await within(2000, 'late-3 attached', async () => ours(await filters(late.hostInterface)));
  const renewed = `${late.hostInterface}n`;
  const peer = `${late.hostInterface}q`;
  await run('ip', ['link', 'del', late.hostInterface]);
  await run('ip', ['link', 'add', renewed, 'type', 'veth', 'peer', 'name', peer]);
  await run('ip', ['link', 'set', peer, 'netns', late.netns]);
  await run('ip', ['addr', 'add', `${late.gateway}/24`, 'dev', renewed]);
  await run('ip', ['link', 'set', renewed, 'up']);
  await run('ip', ['-n', late.netns, 'addr', 'add', `${late.address}/24`, 'dev', peer]);
  await run('ip', ['-n', late.netns, 'link', 'set', peer, 'up']);
  const t0 = Date.now();
  await within(3000, 'attached on the new veth', async () => ours(await filters(renewed)));
  console.log(`# replaced veth attached ${Date.now() - t0} ms after it came up`);
  assert.match(agent.log(), /host-side interface of a pod went away; looking it up again/);
  api.deletePod(TEAM, 'late-3');
  await within(2000, 'late-3 detached', async () => !ours(await filters(renewed)));
});

test('bridge CNI: a pod behind a Linux bridge is attached on its bridge port (found through the peer in its named netns)', async () => {
  // the Lab's 10.<n>/16 is ours; its pods use the low third octets
  const second = web.address.split('.')[1]!;
  const tag = hex(2);
  const bridge = `clvbr${tag}`;
  const hostSide = `clvb${tag}h`;
  const podSide = `clvb${tag}p`;
  const netns = `clv-br-${tag}`;
  const podIp = `10.${second}.200.2`;
  try {
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `10.${second}.200.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', podSide]);
    await run('ip', ['link', 'set', podSide, 'netns', netns]);
    await run('ip', ['link', 'set', hostSide, 'master', bridge, 'up']);
    await run('ip', ['-n', netns, 'addr', 'add', `${podIp}/24`, 'dev', podSide]);
    await run('ip', ['-n', netns, 'link', 'set', podSide, 'up']);
    const bridged = { ...web, address: podIp };
    api.addPod(podObject('bridged-1', TEAM, { app: 'bridged' }, bridged, NODE, [{ name: 'http', containerPort: 8080 }]));
    const ms = await within(2000, 'bridge port attached', async () => ours(await filters(hostSide)));
    console.log(`# bridged pod attached ${ms} ms after its Pod object was created`);
    assert.equal(ours(await filters(bridge)), false, 'not the bridge itself');
    api.deletePod(TEAM, 'bridged-1');
    await within(2000, 'bridge port detached', async () => !ours(await filters(hostSide)));
  } finally {
    await run('ip', ['link', 'del', hostSide]).catch(() => undefined);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await run('ip', ['netns', 'del', netns]).catch(() => undefined);
  }
});

test('a deleted pod is detached within 2 s, its flows freed, the foreign filter stays, attached interfaces go down', async () => {
  const attached = await metric('clovisor_capture_interfaces_attached');
  await curlFrom(caller, `http://${web.address}:8080/last`, hex(16));
  await within(2000, 'the web pod has a flow (a closed one lingers 5 s)', async () => await metric('clovisor_capture_flows_active') > 0);
  const t0 = Date.now();
  api.deletePod(TEAM, 'web-1');
  await within(2000, 'web pod detached', async () => !ours(await filters(web.hostInterface)));
  console.log(`# web pod detached ${Date.now() - t0} ms after its deletion`);
  assert.match(await filters(web.hostInterface), /pref 100 u32/, 'the foreign filter survived our detach');
  assert.equal(await metric('clovisor_capture_interfaces_attached'), attached - 1);
  // it was the only interface attached, so every flow was its
  await within(2000, 'the flows of the detached interface freed', async () => await metric('clovisor_capture_flows_active') === 0);
  assert.ok(await metric('clovisor_capture_flows_created_total') > 0);
  assert.match(agent.log(), /detached interface=/);
});

test('Redis unreachable: the agent runs on defaults (namespace default) and follows Redis once it comes up; SIGKILL leaves a stale filter the next start removes', async () => {
  const redisPort = await freePort();
  // a foreign filter on the veth this agent will attach to
  await run('tc', ['qdisc', 'add', 'dev', dflt.hostInterface, 'clsact']);
  await run('tc', ['filter', 'add', 'dev', dflt.hostInterface, 'egress', ...FOREIGN_FILTER]);
  const stateB = mkdtempSync(join(tmpdir(), 'clovisor-state-b-'));
  api.addPod(podObject('dflt-1', 'default', { app: 'dflt' }, dflt, NODE_B, [{ name: 'http', containerPort: 8080 }]));
  const args = ['capture', '--kubernetes', '--kubeconfig', api.kubeconfigPath(), '--node', NODE_B, '--redis', `redis://127.0.0.1:${redisPort}/0`, '--metrics-port', '0'];
  const env = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_STATE_DIR: stateB };
  let b: PipelineProcess | undefined;
  try {
    b = await startClovisor(args, env);
    assert.match(b.log(), new RegExp(`Redis redis://127.0.0.1:${redisPort}/0 unreachable: keeping the current capture configuration \\(defaults\\); retrying`));
    await within(2000, 'default-namespace pod attached on defaults', async () => ours(await filters(dflt.hostInterface)));

    // Redis comes up: its configuration (another namespace only) applies without a restart
    const server = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    extra.push(server);
    await within(5000, 'own redis-server up', async () => run('redis-cli', ['-p', String(redisPort), 'PING']).then((r) => r.stdout.trim() === 'PONG', () => false));
    await run('redis-cli', ['-p', String(redisPort), 'RPUSH', 'clovisor_labels', 'elsewhere']);
    // reconnect backoff (at most 2 s) + the read
    await within(5000, 'default pod detached once Redis says otherwise', async () => !ours(await filters(dflt.hostInterface)));
    assert.match(b.log(), /is back: reading the capture configuration again/);
    await run('redis-cli', ['-p', String(redisPort), 'DEL', 'clovisor_labels']);
    await within(3000, 'attached again on the defaults', async () => ours(await filters(dflt.hostInterface)));
    server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(b.child.exitCode, null, 'Redis going away does not stop the agent');
    assert.ok(ours(await filters(dflt.hostInterface)), 'and the configuration in force stays');

    // SIGKILL: no exit path runs, our filter stays behind
    b.child.kill('SIGKILL');
    await b.stop();
    assert.ok(ours(await filters(dflt.hostInterface)), 'after SIGKILL our filter is still attached (stale)');
    // while it was down the pod stopped being selected; the veth is still there
    api.updatePod(podObject('dflt-1', 'default', { app: 'dflt' }, dflt, `${NODE_B}-moved`, [{ name: 'http', containerPort: 8080 }]));
    const b2 = await startClovisor(args, env);
    try {
      assert.equal(ours(await filters(dflt.hostInterface)), false, 'the next start removed the stale filter before saying it runs');
      assert.match(b2.log(), /removed stale filters of a previous run interface=/);
      assert.match(await filters(dflt.hostInterface), /pref 100 u32/, 'the foreign filter survived the crash cleanup');
    } finally {
      assert.equal(await b2.stop(), 0);
    }
    assert.match(await filters(dflt.hostInterface), /pref 100 u32/, 'and our clean exit');
  } finally {
    if (b && b.child.exitCode === null && b.child.signalCode === null) await b.stop();
    rmSync(stateB, { recursive: true, force: true });
  }
});
