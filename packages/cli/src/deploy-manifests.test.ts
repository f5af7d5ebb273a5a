// deploy/kubernetes/ against the CLI: every container's command and flags go through the CLI's
// own flag table and config resolution (an unknown flag or a bad value fails here, not in the
// cluster), every environment variable is one the CLI reads (found by watching which names
// resolveRunConfig looks up), the RBAC is exactly get/list/watch on pods, services and
// namespaces, and the capture DaemonSet has what eBPF on a node needs.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { HELP } from './help.js';
import { parseFlags } from './flags.js';
import { resolveRunConfig, type Env, type RunFlags } from './config.js';
import { FLAG_OPTIONS } from './commands/stages.js';
import { STAGE_COMMANDS } from './commands/stage-commands.js';
import { checkCaptureSources } from './commands/capture-component.js';
import { metricsPortFor } from './stage-metrics.js';
import { parseRedisConfig } from '@clovisor/capture';

const DIR = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));

interface EnvVar { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }
interface Container { name: string; image: string; command?: string[]; args?: string[]; env?: EnvVar[]; ports?: Array<{ name?: string; containerPort: number }>; securityContext?: { privileged?: boolean }; volumeMounts?: Array<{ name: string; mountPath: string }> }
interface PodSpec { serviceAccountName?: string; automountServiceAccountToken?: boolean; hostNetwork?: boolean; containers: Container[]; volumes?: Array<{ name: string; hostPath?: { path: string } }> }
type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

function load(): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(DIR + file, 'utf8'))) {
      assert.deepEqual(d.errors, [], `${file} parses`);
      const doc = d.toJS() as Doc | null;
      if (doc) docs.push(doc);
    }
  }
  return docs;
}

const docs = load();
const workloads = docs.filter((d) => ['DaemonSet', 'Deployment', 'Job'].includes(d.kind));
const podSpec = (d: Doc) => d['spec'].template.spec as PodSpec;

/** Names of the environment variables the CLI's configuration reads. */
function envNamesRead(): Set<string> {
  const read = new Set<string>();
  const probe = new Proxy({} as Env, { get: (_t, key) => { if (typeof key === 'string') read.add(key); return undefined; } });
  resolveRunConfig({}, probe);
  return read;
}

test('the manifests hold a namespace, the RBAC, a capture DaemonSet and decoder/correlator/exporter Deployments', () => {
  const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
  for (const k of ['Namespace/clovisor', 'ServiceAccount/clovisor-capture', 'ClusterRole/clovisor-capture', 'ClusterRoleBinding/clovisor-capture',
    'DaemonSet/clovisor-capture', 'Deployment/clovisor-decoder', 'Deployment/clovisor-correlator', 'Deployment/clovisor-exporter']) {
    assert.ok(kinds.includes(k), `${k} in deploy/kubernetes (have ${kinds.join(', ')})`);
  }
  for (const d of docs.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind))) {
    assert.equal(d.metadata.namespace, 'clovisor', `${d.kind}/${d.metadata.name} is in the clovisor namespace`);
  }
});

test('every clovisor container runs a real command with flags and environment the CLI accepts', () => {
  const envRead = envNamesRead();
  const clovisor = workloads.flatMap((w) => podSpec(w).containers.filter((c) => c.image.startsWith('clovisor:')).map((c) => ({ w, c })));
  assert.equal(clovisor.length, 4);
  for (const { w, c } of clovisor) {
    const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
    assert.equal(c.command, undefined, `${where}: the image's entrypoint is the CLI`);
    const [command, ...rest] = c.args ?? [];
    assert.ok(command && STAGE_COMMANDS[command] && HELP[command], `${where}: "${command}" is a clovisor pipeline command`);
    const env: Env = {};
    for (const e of c.env ?? []) {
      assert.ok(envRead.has(e.name), `${where}: environment variable ${e.name} is not read by the CLI (it reads ${[...envRead].sort().join(' ')})`);
      env[e.name] = e.value ?? (e.valueFrom?.fieldRef ? 'node-from-field-ref' : undefined);
    }
    const flags = parseFlags<RunFlags & { _: string[] }>(command, rest, FLAG_OPTIONS);
    assert.notEqual(flags, 'help');
    if (flags === 'help') continue;
    assert.deepEqual(flags._, [], `${where}: no positional arguments`);
    const config = resolveRunConfig(flags, env);
    if (STAGE_COMMANDS[command]!.includes('capture')) assert.equal(checkCaptureSources(config), null, `${where}: capture settings`);
    // Prometheus finds /metrics through the container port named "metrics": the port the CLI serves on
    const served = metricsPortFor(STAGE_COMMANDS[command]!, flags['metrics-port'] ?? env['CLOVISOR_METRICS_PORT'], config.metricsPort);
    assert.ok(served > 0, `${where}: serves /metrics`);
    assert.equal(c.ports?.find((p) => p.name === 'metrics')?.containerPort, served, `${where}: containerPort "metrics" is the --metrics-port it serves on`);
  }
});

test('the capture DaemonSet: privileged, hostNetwork, /sys/fs/bpf, NODE_NAME from spec.nodeName, --kubernetes', () => {
  const ds = docs.find((d) => d.kind === 'DaemonSet' && d.metadata.name === 'clovisor-capture')!;
  const spec = podSpec(ds);
  assert.equal(spec.hostNetwork, true);
  assert.equal(spec.serviceAccountName, 'clovisor-capture');
  const [c] = spec.containers;
  assert.equal(c!.securityContext?.privileged, true);
  assert.ok(c!.args?.includes('--kubernetes'));
  assert.deepEqual(c!.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
  const bpffs = c!.volumeMounts?.find((m) => m.mountPath === '/sys/fs/bpf');
  assert.ok(bpffs, '/sys/fs/bpf mounted');
  assert.equal(spec.volumes?.find((v) => v.name === bpffs.name)?.hostPath?.path, '/sys/fs/bpf');
  const stateDir = c!.env?.find((e) => e.name === 'CLOVISOR_STATE_DIR')?.value;
  assert.ok(stateDir && c!.volumeMounts?.some((m) => m.mountPath === stateDir), 'the state dir is a host path, so it outlives the container');
});

test('RBAC is least privilege: get/list/watch on pods, services, namespaces for the capture agent only', () => {
  const roles = docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
  assert.equal(roles.length, 1);
  const rules = (roles[0]!['rules'] as Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>)
    .map((r) => ({ apiGroups: [...r.apiGroups].sort(), resources: [...r.resources].sort(), verbs: [...r.verbs].sort(), resourceNames: r.resourceNames }));
  assert.deepEqual(rules, [{ apiGroups: [''], resources: ['namespaces', 'pods', 'services'], verbs: ['get', 'list', 'watch'], resourceNames: undefined }]);
  const bindings = docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding');
  assert.equal(bindings.length, 1);
  assert.deepEqual(bindings[0]!['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roles[0]!.metadata.name });
  assert.deepEqual(bindings[0]!['subjects'], [{ kind: 'ServiceAccount', name: 'clovisor-capture', namespace: 'clovisor' }]);
  for (const w of workloads.filter((x) => x.kind !== 'DaemonSet')) {
    const spec = podSpec(w);
    assert.notEqual(spec.serviceAccountName, 'clovisor-capture', `${w.metadata.name} does not use the capture agent's account`);
    assert.equal(spec.automountServiceAccountToken, false, `${w.metadata.name} mounts no API token`);
  }
});

test('the Redis configuration example holds only entries the agent accepts', () => {
  const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'clovisor-redis-config')!;
  const script = cm['data']['configure.sh'] as string;
  const lists: Record<string, string[]> = {};
  for (const line of script.split('\n')) {
    const m = /^\$R RPUSH (\S+) (.+)$/.exec(line.trim());
    if (!m) continue;
    lists[m[1]!] = [...(lists[m[1]!] ?? []), ...m[2]!.split(' ').map((e) => e.replace(/^"|"$/g, ''))];
  }
  assert.ok(lists['clovisor_labels']?.length && lists['clovisor_egress_match']?.length, 'the example sets labels and egress rules');
  const { config, issues } = parseRedisConfig(lists);
  assert.deepEqual(issues, []);
  assert.equal(config.egress.length, lists['clovisor_egress_match']!.length);
});
