// The plugin host: one PluginSlot (worker) per registered protocol, routing of flows to them,
// reload/replace, and the counters. Never throws at the decoder: every failure becomes a
// counted PluginError for the dead-letter topic or a log line.
import type { Logger, SegmentBatch, Transaction } from '@clovisor/core';
import { PluginSlot, newSlotCounters, type CallResult, type SlotCall, type SlotCounters } from './slot.js';
import { mergePluginSpecs } from './spec.js';
import { DEFAULT_PLUGIN_LIMITS, PluginError, type PluginLimits, type PluginSpec } from './types.js';

interface Entry {
  slot: PluginSlot;
  portNames: string[];
  ports: number[];
}

export interface PluginInfo {
  protocol: string;
  path: string;
  source: PluginSpec['source'];
  portNames: string[];
  ports: number[];
}

export interface PluginHostStats extends SlotCounters {
  /** plugins loaded and routed to right now */
  loaded: number;
  plugins: PluginInfo[];
  /** modules loaded again (Redis change or reload message) */
  reloads: number;
  /** modules that could not be loaded (missing file, bad export, import error) */
  loadFailures: number;
  /** inputs handed back for the dead-letter topic */
  deadLettered: number;
  /** transactions of a replaced worker held for the next tick, dropped beyond the limit */
  carryDropped: number;
}

function matches(hint: string, name: string): boolean {
  return hint === name || hint.startsWith(`${name}-`);
}

export class PluginHost {
  private readonly entries = new Map<string, Entry>();
  private readonly limits: PluginLimits;
  private readonly counters = newSlotCounters();
  private generation = 0;
  private reloads = 0;
  private loadFailures = 0;
  private deadLettered = 0;
  private carryDropped = 0;
  /** transactions flushed out of replaced workers, emitted with the next tick */
  private carry: Transaction[] = [];
  /** specs that failed to load, not retried by configure() until they change (bounded) */
  private readonly failedSpecs = new Set<string>();

  constructor(private readonly log: Logger, limits: Partial<PluginLimits> = {}) {
    this.limits = { ...DEFAULT_PLUGIN_LIMITS, ...limits };
  }

  /** The plugin protocol that decodes this batch's flow, or null (built-in protocols). */
  route(batch: SegmentBatch): string | null {
    if (this.entries.size === 0 || batch.transport !== 'TCP') return null; // plugins decode TCP streams
    const hint = batch.protocolHint?.toLowerCase() ?? null;
    for (const [protocol, e] of this.entries) {
      if (hint !== null && (matches(hint, protocol) || e.portNames.some((n) => matches(hint, n.toLowerCase())))) return protocol;
      if (e.ports.includes(batch.server.port)) return protocol;
    }
    return null;
  }

  async process(protocol: string, batch: SegmentBatch): Promise<CallResult> {
    const e = this.entries.get(protocol);
    let result = e ? await e.slot.call({ kind: 'batch', batch }) : { transactions: [], failure: new PluginError('PLUGIN_DISABLED', protocol, 'not loaded') };
    // Replaced by a reload while this batch waited: the new version takes it.
    const now = this.entries.get(protocol);
    if (result.failure?.code === 'PLUGIN_DISABLED' && now !== undefined && now !== e) result = await now.slot.call({ kind: 'batch', batch });
    if (result.failure !== null) {
      this.deadLettered++;
      this.log.warn('plugin failed on a batch; the batch goes to the dead-letter topic', { plugin: protocol, code: result.failure.code, error: result.failure.message, flow: batch.flowId });
    }
    return result;
  }

  /** Idle flows of every plugin, plus what replaced workers flushed. */
  tick(nowNs: bigint): Promise<Transaction[]> {
    return this.everyPlugin({ kind: 'tick', nowNs });
  }

  flush(): Promise<Transaction[]> {
    return this.everyPlugin({ kind: 'flush' });
  }

  /**
   * Make the loaded plugins these: load new ones, replace those whose path or source changed,
   * unload those gone. Entries that fail to load are logged and left out; the others load.
   * Returns the protocols it tried to (re)load or unloaded.
   */
  async configure(specs: PluginSpec[]): Promise<Set<string>> {
    const touched = new Set<string>();
    const wanted = new Map(specs.map((s) => [s.protocol, s]));
    for (const [protocol, e] of [...this.entries]) {
      if (!wanted.has(protocol)) { touched.add(protocol); await this.unload(protocol, e, 'no longer configured'); }
    }
    for (const spec of wanted.values()) {
      const e = this.entries.get(spec.protocol);
      if (e && e.slot.spec.path === spec.path && e.slot.spec.source === spec.source) continue;
      // a spec that failed before is tried again only when it changes (no log line every period)
      const key = `${spec.protocol}\0${spec.path}\0${spec.source}`;
      if (this.failedSpecs.has(key)) continue;
      touched.add(spec.protocol);
      if (!(await this.load(spec, e !== undefined))) this.failedSpecs.add(key);
      else this.failedSpecs.delete(key);
    }
    return touched;
  }

  /**
   * A Redis read: flag plugins merged with the hash (Redis wins per protocol); `reload` (the
   * protocol published on the channel) is loaded again even when its path did not change.
   */
  async apply(flags: PluginSpec[], redis: PluginSpec[], reload: string | null): Promise<void> {
    const merged = mergePluginSpecs(flags, redis);
    const touched = await this.configure(merged);
    const p = reload?.toLowerCase() ?? null;
    if (p !== null && !touched.has(p)) {
      const spec = merged.find((s) => s.protocol === p);
      if (spec) await this.reload(p, spec);
      else this.log.warn(`reload requested for ${p}, which is neither in clovisor_proto_cfg nor given with --plugin`);
    }
  }

  /** Load the module of this protocol again, in a new worker (the code on disk changed). */
  async reload(protocol: string, spec?: PluginSpec): Promise<boolean> {
    const target = this.entries.get(protocol)?.slot.spec ?? spec;
    if (!target) return false;
    if (this.failedSpecs.size > 1024) this.failedSpecs.clear();
    const ok = await this.load(target, this.entries.has(protocol));
    const key = `${target.protocol}\0${target.path}\0${target.source}`;
    if (ok) this.failedSpecs.delete(key);
    else this.failedSpecs.add(key);
    return ok;
  }

  stats(): PluginHostStats {
    const c = this.counters;
    return {
      ...c,
      failures: { ...c.failures },
      dropped: { ...c.dropped },
      loaded: this.entries.size,
      plugins: [...this.entries].map(([protocol, e]) => ({ protocol, path: e.slot.spec.path, source: e.slot.spec.source, portNames: e.portNames, ports: e.ports })),
      reloads: this.reloads,
      loadFailures: this.loadFailures,
      deadLettered: this.deadLettered,
      carryDropped: this.carryDropped,
    };
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.slot.close()));
  }

  private async everyPlugin(call: SlotCall): Promise<Transaction[]> {
    const out = this.carry;
    this.carry = [];
    for (const [protocol, e] of this.entries) {
      if (!e.slot.running) continue; // no worker, no flows (not started yet, or killed and in cooldown)
      const r = await e.slot.call(call);
      out.push(...r.transactions);
      if (r.failure !== null) this.log.warn(`plugin failed on ${call.kind}; its idle flows are lost`, { plugin: protocol, code: r.failure.code, error: r.failure.message });
    }
    return out;
  }

  /** A new worker with the module; it replaces the current one only once it loaded. */
  private async load(spec: PluginSpec, replacing: boolean): Promise<boolean> {
    const slot = new PluginSlot(spec, ++this.generation, this.limits, this.counters, this.log);
    const outcome = await slot.load();
    const what = spec.source === 'flag' ? `--plugin ${spec.protocol}=${spec.path}` : `Redis clovisor_proto_cfg ${spec.protocol} = ${spec.path}`;
    if (!outcome.ok) {
      this.loadFailures++;
      await slot.close();
      this.log.error(`plugin not loaded (${what}): ${outcome.reason}${replacing ? '; the previous version stays' : ''}`, { plugin: spec.protocol, path: spec.path });
      return false;
    }
    const old = this.entries.get(spec.protocol);
    this.entries.set(spec.protocol, { slot, portNames: outcome.portNames, ports: outcome.ports });
    if (old) {
      this.reloads++;
      await this.retire(old);
    }
    this.log.info(`plugin ${replacing ? 'reloaded' : 'loaded'} (${what})`, { plugin: spec.protocol, portNames: outcome.portNames.join(','), ports: outcome.ports.join(',') });
    return true;
  }

  private async unload(protocol: string, e: Entry, why: string): Promise<void> {
    this.entries.delete(protocol);
    await this.retire(e);
    this.log.info(`plugin unloaded: ${why}`, { plugin: protocol, path: e.slot.spec.path });
  }

  /** Flush a replaced worker's flows (kept for the next tick, bounded) and stop it. */
  private async retire(e: Entry): Promise<void> {
    const r = e.slot.running ? await e.slot.call({ kind: 'flush' }) : { transactions: [] };
    const room = Math.max(0, this.limits.maxTransactionsPerBatch - this.carry.length);
    this.carry.push(...r.transactions.slice(0, room));
    this.carryDropped += Math.max(0, r.transactions.length - room);
    await e.slot.close();
  }
}
