import { CoreV1Api, KubeConfig, ListWatch, Watch, type KubernetesListObject, type KubernetesObject, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { errorMessage, type Component, type Logger } from '@clovisor/core';
import { computeMonitoredSet, type LabelSelection, type MonitoredPod } from './selection.js';

// The informer shell around the pure selection: client-node ListWatch informers on this node's
// pods (fieldSelector spec.nodeName) and on all services, recomputing the monitored set on every
// change, debounced so that a burst (a relist, a rollout) gives one onChange. Nothing is emitted
// before both informers have listed once: an early empty set would detach every interface.
// client-node relists by itself on 410 Gone and re-watches when a stream ends; any other error
// stops its informer, so this shell restarts it with a capped backoff.

export interface PodWatcherOptions {
  node: string;
  onChange: (pods: MonitoredPod[]) => void;
  log: Logger;
  /** parsed `clovisor_labels`; replace later with setSelections() */
  selections?: readonly LabelSelection[];
  /** default: KUBECONFIG, ~/.kube/config, or in-cluster (KUBERNETES_SERVICE_HOST), as client-node does */
  kubeConfig?: KubeConfig;
  debounceMs?: number;
  maxRestartDelayMs?: number;
}

export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

interface Watched<T extends KubernetesObject> {
  name: string;
  informer: ListWatch<T>;
  synced: boolean;
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export class PodWatcher implements Component {
  readonly name = 'pod-watcher';
  private selections: readonly LabelSelection[];
  private pods: Watched<V1Pod> | null = null;
  private services: Watched<V1Service> | null = null;
  private debounce: NodeJS.Timeout | undefined;
  private lastEmitted: string | null = null;
  private running = false;
  private readonly o: Required<Omit<PodWatcherOptions, 'kubeConfig' | 'selections'>>;
  private readonly kubeConfig: KubeConfig | undefined;

  constructor(options: PodWatcherOptions) {
    const { kubeConfig, selections, ...rest } = options;
    this.o = { debounceMs: 100, maxRestartDelayMs: 30_000, ...rest };
    this.kubeConfig = kubeConfig;
    this.selections = selections ?? [];
  }

  /** Returns at once; the first onChange comes when pods and services have been listed. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const kc = this.kubeConfig ?? loadKubeConfig();
    const api = kc.makeApiClient(CoreV1Api);
    const watch = new Watch(kc);
    const fieldSelector = `spec.nodeName=${this.o.node}`;
    this.pods = this.watched('pods', new ListWatch<V1Pod>('/api/v1/pods', watch,
      () => api.listPodForAllNamespaces({ fieldSelector }) as Promise<KubernetesListObject<V1Pod>>, false, undefined, fieldSelector));
    this.services = this.watched('services', new ListWatch<V1Service>('/api/v1/services', watch,
      () => api.listServiceForAllNamespaces() as Promise<KubernetesListObject<V1Service>>, false));
    this.run(this.pods);
    this.run(this.services);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = undefined;
    for (const w of [this.pods, this.services]) {
      if (!w) continue;
      if (w.restartTimer) clearTimeout(w.restartTimer);
      await w.informer.stop();
    }
    this.pods = null;
    this.services = null;
  }

  /** New `clovisor_labels` selection (from Redis): recomputed and emitted if the set changes. */
  setSelections(selections: readonly LabelSelection[]): void {
    this.selections = selections;
    this.schedule();
  }

  /** The current monitored set, or null before both informers have listed. */
  current(): MonitoredPod[] | null {
    if (!this.pods?.synced || !this.services?.synced) return null;
    return computeMonitoredSet({ node: this.o.node, pods: this.pods.informer.list(), services: this.services.informer.list(), selections: this.selections });
  }

  private watched<T extends KubernetesObject>(name: string, informer: ListWatch<T>): Watched<T> {
    const w: Watched<T> = { name, informer, synced: false, failures: 0, restartTimer: undefined };
    const changed = () => {
      w.failures = 0;
      this.schedule();
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('connect', () => this.o.log.debug('watching', { resource: name }));
    informer.on('error', (err: unknown) => this.restartLater(w, err));
    return w;
  }

  private run<T extends KubernetesObject>(w: Watched<T>): void {
    // ListWatch.start() resolves after its list; a list of zero objects fires no callback, so
    // "listed once" is observed here rather than through add events.
    w.informer.start().then(async () => {
      // stop() during the list does not stop client-node from opening the watch after it
      if (!this.running) return w.informer.stop();
      if (w.informer.latestResourceVersion() === '') return;
      if (!w.synced) this.o.log.info('listed', { resource: w.name, count: w.informer.list().length });
      w.synced = true;
      this.schedule();
    }, (err: unknown) => this.restartLater(w, err));
  }

  private restartLater<T extends KubernetesObject>(w: Watched<T>, err: unknown): void {
    if (!this.running || w.restartTimer) return;
    w.failures += 1;
    const delay = Math.min(this.o.maxRestartDelayMs, 250 * 2 ** Math.min(w.failures - 1, 10));
    this.o.log.warn('kubernetes watch failed; retrying', { resource: w.name, error: errorMessage(err), retryInMs: delay });
    w.restartTimer = setTimeout(() => {
      w.restartTimer = undefined;
      if (this.running) this.run(w);
    }, delay);
  }

  private schedule(): void {
    if (!this.running || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const set = this.current();
      if (!set) return;
      const key = JSON.stringify(set);
      if (key === this.lastEmitted) return;
      this.lastEmitted = key;
      this.o.onChange(set);
    }, this.o.debounceMs);
  }
}
