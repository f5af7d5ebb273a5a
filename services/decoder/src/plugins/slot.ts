// One loaded plugin: its worker thread, started lazily and replaced after a timeout, an
// out-of-memory or a crash, and the calls to it, one at a time, each with a time limit.
import { Worker } from 'node:worker_threads';
import type { Logger, Transaction } from '@clovisor/core';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import { limitTransactions } from './output.js';
import { PluginError, type DropCounts, type PluginFailureCode, type PluginLimits, type PluginSpec } from './types.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

export interface CallResult {
  transactions: Transaction[];
  failure: PluginError | null;
}

/** Counters the host sums over its slots (and keeps across reloads). */
export interface SlotCounters {
  calls: number;
  transactions: number;
  workerStarts: number;
  failures: Record<PluginFailureCode, number>;
  dropped: DropCounts;
}

export function newSlotCounters(): SlotCounters {
  return {
    calls: 0, transactions: 0, workerStarts: 0,
    failures: { PLUGIN_ERROR: 0, PLUGIN_TIMEOUT: 0, PLUGIN_MEMORY: 0, PLUGIN_CRASH: 0, PLUGIN_LOAD: 0, PLUGIN_BUSY: 0, PLUGIN_DISABLED: 0 },
    dropped: { transactions: 0, attributes: 0, truncatedValues: 0 },
  };
}

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
export type SlotCall = Distribute<ToWorker>;

interface Live {
  worker: Worker;
  /** settles the call in flight (or the load) when the worker dies */
  onDeath: ((code: PluginFailureCode, message: string) => void) | null;
  onMessage: ((m: FromWorker) => void) | null;
}

export type LoadOutcome = { ok: true; portNames: string[]; ports: number[] } | { ok: false; code: PluginFailureCode; reason: string };

export class PluginSlot {
  private live: Live | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private nextId = 1;
  private consecutiveFailures = 0;
  private disabledUntil = 0;
  private closed = false;

  constructor(
    readonly spec: PluginSpec,
    private readonly generation: number,
    private readonly limits: PluginLimits,
    private readonly counters: SlotCounters,
    private readonly log: Logger,
  ) {}

  /** Start the worker and load the module (the host calls this once, to learn what it routes). */
  load(): Promise<LoadOutcome> {
    return this.serial(() => this.start());
  }

  /** Run one call in the worker; never rejects: a failure is returned for the dead-letter topic. */
  call(message: SlotCall): Promise<CallResult> {
    if (this.queued >= this.limits.maxQueuedCalls) return Promise.resolve(this.fail('PLUGIN_BUSY', `more than ${this.limits.maxQueuedCalls} calls waiting`));
    return this.serial(() => this.run(message));
  }

  /** a worker is up (a replaced slot without one has no flows to flush) */
  get running(): boolean {
    return this.live !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
    const live = this.live;
    this.live = null;
    if (live) await live.worker.terminate();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.queue.then(task).finally(() => { this.queued--; });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private fail(code: PluginFailureCode, message: string): CallResult {
    this.counters.failures[code]++;
    return { transactions: [], failure: new PluginError(code, this.spec.protocol, message) };
  }

  private async run(message: SlotCall): Promise<CallResult> {
    this.counters.calls++;
    if (this.closed) return this.fail('PLUGIN_DISABLED', 'the plugin was unloaded or replaced');
    if (Date.now() < this.disabledUntil) {
      return this.fail('PLUGIN_DISABLED', `disabled for ${this.limits.cooldownMs} ms after ${this.limits.maxConsecutiveFailures} failures in a row`);
    }
    if (this.live === null) {
      const loaded = await this.start();
      if (!loaded.ok) return this.failHard(loaded.code, loaded.reason);
    }
    const live = this.live as Live | null;
    if (live === null) return this.failHard('PLUGIN_CRASH', 'the worker exited right after loading');
    const id = this.nextId++;
    const reply = await new Promise<FromWorker | { code: PluginFailureCode; message: string }>((resolve) => {
      const timer = setTimeout(() => {
        this.kill(live);
        resolve({ code: 'PLUGIN_TIMEOUT', message: `no answer within ${this.limits.timeoutMs} ms; worker terminated` });
      }, this.limits.timeoutMs);
      live.onMessage = (m) => { if ('id' in m && m.id === id) { clearTimeout(timer); live.onMessage = null; resolve(m); } };
      live.onDeath = (code, msg) => { clearTimeout(timer); resolve({ code, message: msg }); };
      live.worker.postMessage({ ...message, id } as ToWorker);
    });
    live.onDeath = null;
    if ('code' in reply) return this.failHard(reply.code, reply.message);
    if (reply.kind !== 'done' && reply.kind !== 'failed') return this.failHard('PLUGIN_CRASH', `unexpected message ${reply.kind}`);
    this.consecutiveFailures = 0;
    const d = this.counters.dropped;
    d.transactions += reply.drops.transactions;
    d.attributes += reply.drops.attributes;
    d.truncatedValues += reply.drops.truncatedValues;
    if (reply.kind === 'failed') return this.fail('PLUGIN_ERROR', `threw ${reply.message}`);
    const transactions = limitTransactions(reply.transactions, this.limits, d);
    this.counters.transactions += transactions.length;
    return { transactions, failure: null };
  }

  /** A failure that killed the worker: counts toward disabling the plugin for a while. */
  private failHard(code: PluginFailureCode, message: string): CallResult {
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.limits.maxConsecutiveFailures) {
      this.disabledUntil = Date.now() + this.limits.cooldownMs;
      this.consecutiveFailures = 0;
      this.log.error(`plugin ${this.spec.protocol} disabled for ${this.limits.cooldownMs} ms: ${this.limits.maxConsecutiveFailures} failures in a row; its flows go to the dead-letter topic meanwhile`, { path: this.spec.path, last: code });
    }
    return this.fail(code, message);
  }

  private kill(live: Live): void {
    if (this.live === live) this.live = null;
    live.onDeath = null;
    live.onMessage = null;
    void live.worker.terminate();
  }

  /** A fresh worker that imported and checked the module, or why not. */
  private start(): Promise<LoadOutcome> {
    const init: WorkerInit = { protocol: this.spec.protocol, path: this.spec.path, generation: this.generation, limits: this.limits };
    const worker = new Worker(WORKER_URL, {
      workerData: init,
      resourceLimits: {
        maxOldGenerationSizeMb: this.limits.maxOldGenerationSizeMb,
        maxYoungGenerationSizeMb: this.limits.maxYoungGenerationSizeMb,
        stackSizeMb: this.limits.stackSizeMb,
      },
    });
    worker.unref(); // a forgotten host must not keep the process alive; calls hold their own timer
    this.counters.workerStarts++;
    const live: Live = { worker, onDeath: null, onMessage: null };
    const die = (code: PluginFailureCode, message: string): void => {
      if (this.live === live) this.live = null;
      const onDeath = live.onDeath;
      live.onDeath = null;
      onDeath?.(code, message);
    };
    worker.on('message', (m: FromWorker) => live.onMessage?.(m));
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') die('PLUGIN_MEMORY', `out of memory (limit ${this.limits.maxOldGenerationSizeMb} MiB); worker terminated`);
      else die('PLUGIN_CRASH', `worker died: ${err.message}`);
    });
    worker.on('exit', (exitCode) => die('PLUGIN_CRASH', `worker exited with code ${exitCode}`));
    return new Promise<LoadOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.kill(live);
        resolve({ ok: false, code: 'PLUGIN_TIMEOUT', reason: `loading took more than ${this.limits.loadTimeoutMs} ms` });
      }, this.limits.loadTimeoutMs);
      live.onDeath = (code, reason) => { clearTimeout(timer); resolve({ ok: false, code: code === 'PLUGIN_CRASH' ? 'PLUGIN_LOAD' : code, reason }); };
      live.onMessage = (m) => {
        clearTimeout(timer);
        live.onMessage = null;
        live.onDeath = null;
        if (m.kind === 'ready') {
          this.live = live;
          resolve({ ok: true, portNames: m.portNames, ports: m.ports });
        } else {
          this.kill(live);
          resolve({ ok: false, code: 'PLUGIN_LOAD', reason: m.kind === 'invalid' ? m.reason : `unexpected message ${m.kind}` });
        }
      };
    });
  }
}
