// deploy/kubernetes/ against the CLI: every container's command and flags go through the CLI's
// own flag table and config resolution (an unknown flag or a bad value fails here, not in the
// cluster), every environment variable is one the CLI reads (found by watching which names
// the CLI's configuration looks up), every volume mount has its volume, the RBAC is exactly
// get/list/watch on pods, services and namespaces, and the capture DaemonSet has what eBPF on a
// node needs. deploy/kubernetes/int/ (INT turned on) is checked the same way, and against the
// base manifests it replaces.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { HELP } from './help.js';
import { parseFlags } from './flags.js';
import { resolveRunConfig, type Env, type RunFlags } from './config.js';
import { resolveIntFlags, type IntFlags } from './int-flags.js';
import { resolveCorrelatorFlags, type CorrelatorFlags } from './correlator-flags.js';
import { FLAG_OPTIONS, resolveStageSettings } from './commands/stages.js';
import { STAGE_COMMANDS } from './commands/stage-commands.js';
import { parseRedisConfig, parseWatchlist } from '@clovisor/capture';

const DIR = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));
const INT_DIR = DIR + 'int/';

interface EnvVar { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }
interface Probe { httpGet?: { path: string; port: number | string } }
interface Container {
  name: string; image: string; command?: string[]; args?: string[]; env?: EnvVar[]; securityContext?: { privileged?: boolean };
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
  ports?: Array<{ name?: string; containerPort: number }>; readinessProbe?: Probe; livenessProbe?: Probe;
}
interface Volume { name: string; hostPath?: { path: string }; configMap?: { name: string; items?: unknown[] } }
interface PodSpec { serviceAccountName?: string; automountServiceAccountToken?: boolean; hostNetwork?: boolean; containers: Container[]; volumes?: Volume[] }
type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

function load(dir: string): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(dir + file, 'utf8'))) {
      assert.deepEqual(d.errors, [], `${file} parses`);
      const doc = d.toJS() as Doc | null;
      if (doc) docs.push(doc);
    }
  }
  return docs;
}

const docs = load(DIR);
const intDocs = load(INT_DIR);
const isWorkload = (d: Doc) => ['DaemonSet', 'Deployment', 'Job'].includes(d.kind);
const workloads = docs.filter(isWorkload);
const intWorkloads = intDocs.filter(isWorkload);
const podSpec = (d: Doc) => d['spec'].template.spec as PodSpec;
const find = (list: Doc[], kind: string, name: string) => list.find((d) => d.kind === kind && d.metadata.name === name);

/** Names of the environment variables the CLI's configuration reads, with INT off and on. */
function envNamesRead(): Set<string> {
  const read = new Set<string>();
  const probe = new Proxy({} as Env, { get: (_t, key) => { if (typeof key === 'string') read.add(key); return undefined; } });
  resolveRunConfig({}, probe);
  resolveRunConfig({ int: true }, probe);
  resolveCorrelatorFlags({}, probe);
  resolveIntFlags({}, probe);
  resolveIntFlags({ 'int-collector': '192.0.2.1:32766' }, probe);
  return read;
}

/** What the downward API would give a fieldRef, so values are parsed as in a cluster. */
const FIELD_REF_EXAMPLES: Record<string, string> = { 'spec.nodeName': 'node-1', 'status.hostIP': '192.0.2.10', 'status.podIP': '10.244.1.7' };

/** Runs one container's command, flags and environment through the CLI's own parsing and resolution. */
function checkClovisorContainer(w: Doc, c: Container, envRead: Set<string>): ReturnType<typeof resolveStageSettings> {
  const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
  assert.equal(c.command, undefined, `${where}: the image's entrypoint is the CLI`);
  const [command, ...rest] = c.args ?? [];
  assert.ok(command && STAGE_COMMANDS[command] && HELP[command], `${where}: "${command}" is a clovisor pipeline command`);
  const env: Env = {};
  for (const e of c.env ?? []) {
    assert.ok(envRead.has(e.name), `${where}: environment variable ${e.name} is not read by the CLI (it reads ${[...envRead].sort().join(' ')})`);
    const fieldPath = e.valueFrom?.fieldRef?.fieldPath;
    if (fieldPath !== undefined) assert.ok(FIELD_REF_EXAMPLES[fieldPath], `${where}: ${e.name} from an unexpected fieldRef ${fieldPath}`);
    env[e.name] = e.value ?? (fieldPath !== undefined ? FIELD_REF_EXAMPLES[fieldPath] : undefined);
  }
  const flags = parseFlags<RunFlags & CorrelatorFlags & IntFlags & { _: string[] }>(command, rest, FLAG_OPTIONS);
  assert.notEqual(flags, 'help');
  if (flags === 'help') throw new Error('unreachable');
  assert.deepEqual(flags._, [], `${where}: no positional arguments`);
  return resolveStageSettings(command, STAGE_COMMANDS[command]!, flags, env);
}

/** The container port named "metrics" is the port the CLI serves /metrics on (resolveStageSettings: metricsPortFor). */
function checkMetricsPort(w: Doc, c: Container, served: number): void {
  const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
  assert.ok(served > 0, `${where}: serves /metrics`);
  assert.equal(c.ports?.find((p) => p.name === 'metrics')?.containerPort, served, `${where}: containerPort "metrics" is the --metrics-port it serves on`);
}

/** Every volume mount names a volume of its pod, and no two mounts share a path. */
function checkMounts(w: Doc): void {
  const spec = podSpec(w);
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  for (const c of spec.containers) {
    const paths = (c.volumeMounts ?? []).map((m) => m.mountPath);
    assert.equal(new Set(paths).size, paths.length, `${w.metadata.name}/${c.name}: mount paths are distinct`);
    for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name), `${w.metadata.name}/${c.name}: mount ${m.name} has a volume (have ${[...volumes].join(', ')})`);
  }
  for (const v of spec.volumes ?? []) {
    assert.ok(spec.containers.some((c) => c.volumeMounts?.some((m) => m.name === v.name)), `${w.metadata.name}: volume ${v.name} is mounted`);
  }
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
    const { config, intExport } = checkClovisorContainer(w, c, envRead);
    assert.equal(config.int, null, `${w.metadata.name}: the base manifests leave INT off (it needs kernel BTF on every node)`);
    assert.equal(intExport, null, `${w.metadata.name}: no INT collector in the base manifests`);
    // Prometheus finds /metrics through the container port named "metrics": the port the CLI serves on
    checkMetricsPort(w, c, config.metricsPort);
  }
  for (const w of workloads) checkMounts(w);
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

// deploy/kubernetes/int/: applied after the base manifests, it replaces the capture DaemonSet and
// the exporter Deployment by their INT versions and adds the watchlist ConfigMap.

/** A copy of `value` without the INT additions the base manifests must not have. */
function withoutInt<T>(value: T, drop: (path: string[], v: unknown) => boolean, path: string[] = []): T {
  if (Array.isArray(value)) return value.filter((v, i) => !drop([...path, String(i)], v)).map((v, i) => withoutInt(v, drop, [...path, String(i)])) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k, v]) => !drop([...path, k], v)).map(([k, v]) => [k, withoutInt(v, drop, [...path, k])])) as T;
  }
  return value;
}

test('deploy/kubernetes/int holds the watchlist ConfigMap and the INT versions of the capture DaemonSet and exporter Deployment, nothing else', () => {
  const kinds = intDocs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
  assert.deepEqual(kinds, ['ConfigMap/clovisor-int-watchlist', 'DaemonSet/clovisor-capture', 'Deployment/clovisor-exporter']);
  for (const d of intDocs) assert.equal(d.metadata.namespace, 'clovisor', `${d.kind}/${d.metadata.name} is in the clovisor namespace`);
  // no RBAC of its own: INT needs no Kubernetes API access beyond the agent's
  assert.ok(!intDocs.some((d) => /Role|ServiceAccount/.test(d.kind)));
});

test('INT manifests: every container runs flags and environment the CLI accepts, INT on in capture, a collector in the exporter', () => {
  const envRead = envNamesRead();
  const clovisor = intWorkloads.flatMap((w) => podSpec(w).containers.map((c) => ({ w, c })));
  assert.equal(clovisor.length, 2);
  for (const { w, c } of clovisor) {
    assert.ok(c.image.startsWith('clovisor:'));
    const { config, intExport } = checkClovisorContainer(w, c, envRead);
    checkMetricsPort(w, c, config.metricsPort);
    if (w.kind === 'DaemonSet') {
      assert.ok(config.int, 'capture runs with --int');
      assert.equal(config.int.watchlistPath, '/etc/clovisor/int/watchlist.yaml');
      assert.equal(config.int.nodeAddress, FIELD_REF_EXAMPLES['status.hostIP'], 'the node address (switch id) is the downward API hostIP');
      assert.equal(config.kubernetes, true);
    } else {
      assert.ok(intExport, 'the exporter sends INT reports');
      assert.equal(intExport.version, '0.5', "int-host-reporter's format by default");
      assert.ok(intExport.collector.host && intExport.collector.port > 0);
    }
  }
  for (const w of intWorkloads) checkMounts(w);
});

test('INT capture DaemonSet: the watchlist ConfigMap mounted as a directory at the --int-watchlist path, NODE_IP from status.hostIP, the topology port exposed and probed', () => {
  const ds = find(intDocs, 'DaemonSet', 'clovisor-capture')!;
  const spec = podSpec(ds);
  const c = spec.containers[0]!;
  const watchlistPath = c.args![c.args!.indexOf('--int-watchlist') + 1]!;
  const mount = c.volumeMounts!.find((m) => watchlistPath.startsWith(m.mountPath + '/'));
  assert.ok(mount, `a mount holds ${watchlistPath}`);
  assert.equal(mount.subPath, undefined, 'a directory mount (a subPath mount is never updated, so no reload would happen)');
  const volume = spec.volumes!.find((v) => v.name === mount.name)!;
  assert.ok(volume.configMap, 'the watchlist comes from a ConfigMap');
  assert.equal(volume.configMap.items, undefined, 'every key of the ConfigMap is a file');
  const cm = find(intDocs, 'ConfigMap', volume.configMap.name);
  assert.ok(cm, `ConfigMap ${volume.configMap.name} is in deploy/kubernetes/int`);
  const key = watchlistPath.slice(mount.mountPath.length + 1);
  const text = cm['data'][key] as string | undefined;
  assert.ok(text, `the ConfigMap has the key ${key}`);
  // the project's own parser: what the agent would load at start
  const rules = parseWatchlist(text, { source: `${cm.metadata.name}/${key}` });
  assert.ok(rules.length > 0, 'the example watches something');

  assert.deepEqual(c.env!.find((e) => e.name === 'NODE_IP')?.valueFrom, { fieldRef: { fieldPath: 'status.hostIP' } });
  assert.equal(spec.hostNetwork, true);
  const topologyPort = Number(c.args![c.args!.indexOf('--topology-port') + 1]);
  assert.equal(topologyPort, 4048, "int-host-reporter's topology port, where collectors ask");
  assert.ok(c.ports!.some((p) => p.containerPort === topologyPort), 'the topology port is a containerPort');
  assert.deepEqual(c.readinessProbe?.httpGet, { path: '/api/v1/topology', port: topologyPort }, 'ready once the topology API (and so INT) is up');
  assert.equal(c.livenessProbe, undefined, 'no liveness probe, as in the base DaemonSet: a restart would detach every filter');
});

test('the INT versions differ from the base manifests only by their INT additions', () => {
  const intArgs = new Set(['--int', '--int-watchlist', '--topology-port', '--int-version']);
  const intEnv = new Set(['NODE_IP', 'CLOVISOR_INT_COLLECTOR']);
  const intValues = new Set(['/etc/clovisor/int/watchlist.yaml', '4048', '0.5']);
  for (const [kind, name] of [['DaemonSet', 'clovisor-capture'], ['Deployment', 'clovisor-exporter']] as const) {
    const base = find(docs, kind, name)!;
    const withInt = find(intDocs, kind, name)!;
    const args = podSpec(withInt).containers[0]!.args!;
    const stripped = withoutInt(withInt, (path, v) => {
      const last = path.at(-1);
      const parent = path.at(-2);
      if (parent === 'args') {
        const i = Number(last);
        return intArgs.has(v as string) || (intArgs.has(args[i - 1]!) && intValues.has(v as string));
      }
      if (parent === 'env') return intEnv.has((v as EnvVar).name);
      if (parent === 'ports') return (v as { name?: string }).name === 'int-topology';
      if (parent === 'volumeMounts' || parent === 'volumes') return (v as { name: string }).name === 'int-watchlist';
      return last === 'readinessProbe';
    });
    assert.deepEqual(stripped, base, `${kind}/${name} in int/ is the base one plus INT`);
  }
});
