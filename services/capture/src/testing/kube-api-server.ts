import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseFieldSelector, parseLabelSelector, SelectorError, type KubeObject, type Selector } from './kube-selectors.js';

// A small Kubernetes API server for tests: no API server can run on the development machines,
// so the real @kubernetes/client-node is pointed at this one. It keeps what informers rely on:
// - one global resourceVersion (etcd's revision) bumped by every mutation;
// - list: {kind: PodList, metadata: {resourceVersion}, items} (items without kind, as the real one);
// - ?watch=true: newline-delimited {type, object} events after the given resourceVersion, from a
//   bounded history; an older resourceVersion gets an ERROR event with a 410 Status and the
//   stream ends, as the watch cache does, so the client relists;
// - no resourceVersion (or "0") on a watch: synthetic ADDED events for the current state first;
// - a selector-filtered watch turns an object leaving the selection into DELETED and one
//   entering it into ADDED;
// - allowWatchBookmarks=true: periodic BOOKMARK events; timeoutSeconds ends the stream.
// Plain HTTP on 127.0.0.1, no auth.

export type Resource = 'pods' | 'services' | 'namespaces';
const LIST_KIND: Record<Resource, string> = { pods: 'PodList', services: 'ServiceList', namespaces: 'NamespaceList' };
const ITEM_KIND: Record<Resource, string> = { pods: 'Pod', services: 'Service', namespaces: 'Namespace' };

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface HistoryEvent { rv: number; resource: Resource; type: EventType; object: KubeObject; previous: KubeObject | null }

interface Watcher { resource: Resource; namespace: string | null; matches: Selector; res: ServerResponse; sentRv: number }

export interface KubeApiServerOptions {
  /** events kept for watches that resume; older resourceVersions get 410 Gone */
  historyLimit?: number;
  bookmarkIntervalMs?: number;
}

export interface KubeApiServerStats { lists: number; watches: number; gone: number; failed: number; watchesOpen: number }

export class KubeApiServer {
  private rv = 1;
  /** resourceVersion of the newest event dropped from history: a watch from before it cannot resume */
  private compactedRv = 1;
  private readonly store: Record<Resource, Map<string, KubeObject>> = { pods: new Map(), services: new Map(), namespaces: new Map() };
  private history: HistoryEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly counters = { lists: 0, watches: 0, gone: 0, failed: 0 };
  private readonly historyLimit: number;
  private readonly bookmarkIntervalMs: number;
  private dir: string | null = null;
  private failuresLeft = 0;

  private constructor(private readonly server: Server, options: KubeApiServerOptions) {
    this.historyLimit = options.historyLimit ?? 1000;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1000;
  }

  static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const server = createServer();
    const api = new KubeApiServer(server, options);
    server.on('request', (req, res) => api.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return api;
  }

  get url(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('server is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Writes (once) a kubeconfig pointing at this server; JSON is valid YAML. */
  kubeconfigPath(): string {
    if (!this.dir) this.dir = mkdtempSync(join(tmpdir(), 'kube-api-'));
    const path = join(this.dir, 'kubeconfig');
    writeFileSync(path, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
      // client-node refuses plain http unless TLS verification is explicitly off
      clusters: [{ name: 'test', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'test', user: {} }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: 'default' } }],
    }));
    return path;
  }

  get resourceVersion(): string { return String(this.rv); }
  stats(): KubeApiServerStats { return { ...this.counters, watchesOpen: this.watchers.size }; }

  addPod(pod: KubeObject): KubeObject { return this.put('pods', pod, 'ADDED'); }
  updatePod(pod: KubeObject): KubeObject { return this.put('pods', pod, 'MODIFIED'); }
  deletePod(namespace: string, name: string): void { this.remove('pods', namespace, name); }
  addService(service: KubeObject): KubeObject { return this.put('services', service, 'ADDED'); }
  updateService(service: KubeObject): KubeObject { return this.put('services', service, 'MODIFIED'); }
  deleteService(namespace: string, name: string): void { this.remove('services', namespace, name); }
  addNamespace(name: string, labels: Record<string, string> = {}): KubeObject {
    return this.put('namespaces', { metadata: { name, labels } }, 'ADDED');
  }

  /** Drops the whole event history, as etcd compaction does: every resuming watch gets 410. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  /** The next `count` requests are answered 500, as an overloaded or restarting API server. */
  failRequests(count: number): void {
    this.failuresLeft = count;
  }

  /** Ends every open watch stream (an API server restart or a load balancer timeout). */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private put(resource: Resource, input: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    const namespace = resource === 'namespaces' ? undefined : input.metadata.namespace ?? 'default';
    const key = keyOf(namespace, input.metadata.name);
    const previous = this.store[resource].get(key) ?? null;
    if (type === 'ADDED' && previous) throw new Error(`${resource} ${key} already exists`);
    if (type === 'MODIFIED' && !previous) throw new Error(`${resource} ${key} not found`);
    this.rv += 1;
    const object: KubeObject = structuredClone(input);
    object.metadata = {
      ...object.metadata,
      ...(namespace === undefined ? {} : { namespace }),
      uid: previous?.metadata.uid ?? input.metadata.uid ?? randomUUID(),
      resourceVersion: String(this.rv),
      creationTimestamp: previous?.metadata['creationTimestamp'] ?? new Date().toISOString(),
    };
    this.store[resource].set(key, object);
    this.record({ rv: this.rv, resource, type, object, previous });
    return structuredClone(object);
  }

  private remove(resource: Resource, namespace: string, name: string): void {
    const key = keyOf(resource === 'namespaces' ? undefined : namespace, name);
    const previous = this.store[resource].get(key);
    if (!previous) throw new Error(`${resource} ${key} not found`);
    this.rv += 1;
    this.store[resource].delete(key);
    // the real server sends the last state with the deletion's resourceVersion
    const object = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(this.rv) } };
    this.record({ rv: this.rv, resource, type: 'DELETED', object, previous });
  }

  private record(event: HistoryEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.compactedRv = this.history.shift()!.rv;
    for (const w of this.watchers) this.deliver(w, event);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      this.counters.failed += 1;
      return sendStatus(res, 500, 'InternalError', 'injected failure');
    }
    const route = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(pods|services|namespaces)\/?$/.exec(url.pathname);
    if (req.method !== 'GET' || !route || (route[1] !== undefined && route[2] === 'namespaces')) {
      return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`);
    }
    const namespace = route[1] === undefined ? null : decodeURIComponent(route[1]);
    const resource = route[2] as Resource;
    let matches: Selector;
    try {
      const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
      const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
      matches = (o) => (namespace === null || o.metadata.namespace === namespace) && fields(o) && labels(o);
    } catch (err) {
      if (err instanceof SelectorError) return sendStatus(res, 400, 'BadRequest', err.message);
      throw err;
    }
    const watch = url.searchParams.get('watch');
    if (watch === 'true' || watch === '1') return this.watch(resource, namespace, matches, url.searchParams, res);
    this.counters.lists += 1;
    const items = [...this.store[resource].values()].filter(matches).map(({ kind: _k, apiVersion: _a, ...item }) => item);
    sendJson(res, 200, { kind: LIST_KIND[resource], apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
  }

  private watch(resource: Resource, namespace: string | null, matches: Selector, params: URLSearchParams, res: ServerResponse): void {
    this.counters.watches += 1;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = params.get('resourceVersion') ?? '';
    const watcher: Watcher = { resource, namespace, matches, res, sentRv: 0 };
    if (from === '' || from === '0') {
      for (const object of this.store[resource].values()) if (matches(object)) writeEvent(res, 'ADDED', withKind(resource, object));
      watcher.sentRv = this.rv;
    } else {
      const since = Number(from);
      if (!Number.isInteger(since) || since < this.compactedRv) {
        this.counters.gone += 1;
        writeEvent(res, 'ERROR', goneStatus(from, this.compactedRv));
        res.end();
        return;
      }
      watcher.sentRv = since;
      for (const event of this.history) this.deliver(watcher, event);
      watcher.sentRv = Math.max(watcher.sentRv, this.rv);
    }
    this.watchers.add(watcher);
    const timers: NodeJS.Timeout[] = [];
    if (params.get('allowWatchBookmarks') === 'true') {
      timers.push(setInterval(() => writeEvent(res, 'BOOKMARK', { kind: ITEM_KIND[resource], apiVersion: 'v1', metadata: { resourceVersion: String(watcher.sentRv) } }), this.bookmarkIntervalMs));
    }
    const timeoutSeconds = Number(params.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
    const cleanup = () => {
      for (const t of timers) clearTimeout(t);
      this.watchers.delete(watcher);
    };
    res.on('close', cleanup);
    res.on('finish', cleanup);
  }

  private deliver(w: Watcher, event: HistoryEvent): void {
    if (event.resource !== w.resource || event.rv <= w.sentRv) return;
    w.sentRv = event.rv;
    const now = event.type !== 'DELETED' && w.matches(event.object);
    const before = event.previous !== null && w.matches(event.previous);
    let type: EventType | null = null;
    if (event.type === 'DELETED') type = before ? 'DELETED' : null;
    else if (now) type = before ? 'MODIFIED' : 'ADDED';
    else if (before) type = 'DELETED'; // left the selection, e.g. a label was removed
    if (type) writeEvent(w.res, type, withKind(w.resource, event.object));
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace === undefined ? name : `${namespace}/${name}`;
}

function withKind(resource: Resource, object: KubeObject): KubeObject {
  return { kind: ITEM_KIND[resource], apiVersion: 'v1', ...object };
}

function writeEvent(res: ServerResponse, type: string, object: unknown): void {
  if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
}

function goneStatus(requested: string, oldest: number) {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410,
    message: `too old resource version: ${requested} (${oldest})`,
  };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code });
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
