// Follows the capture configuration Clovisor kept in Redis (core/redis-config.ts has the keys
// and their forms). Changes apply within about a second: the keys are re-read every periodMs
// (1 s), and sooner when Redis sends a keyspace notification for one of them. Clovisor had no
// change channel for these keys, so polling is what always works; notifications are switched on
// with CONFIG SET (adding flags, never removing others' ones) when the server allows it.
// Redis down, at start or later: the last configuration (at first the defaults) stays, the
// outage is logged once, and the client keeps reconnecting. Nothing here throws at the caller.
import { errorMessage, RedisWatch, type Logger, type RedisClient } from '@clovisor/core';
import {
  defaultRedisConfig, parseRedisConfig, RedisConfigKeys,
  type CaptureRedisConfig, type ConfigIssue, type RawRedisConfig, type RawValue, type RedisConfigKey,
} from '../core/redis-config.js';

export interface RedisConfigWatcherOptions {
  url: string;
  /** full re-read interval; default 1000 */
  periodMs?: number;
  /** how long start() waits for a first read before going on with the defaults; default 1000 */
  startWaitMs?: number;
  /** try to enable keyspace notifications with CONFIG SET; default true */
  keyspaceEvents?: boolean;
  /**
   * Called with the defaults at start, then whenever the parsed configuration changes. issues
   * are the entries rejected in that read (they are also logged, once per distinct set).
   */
  onConfig: (config: CaptureRedisConfig, issues: ConfigIssue[]) => void | Promise<void>;
}

export interface RedisConfigWatcherStats {
  reads: number;
  readFailures: number;
  /** configuration changes delivered after the initial one */
  reloads: number;
  keyspaceEvents: number;
  connected: boolean;
  /** 'keyspace' when Redis notifies us of changes, else 'polling' */
  mode: 'keyspace' | 'polling';
}

const LIST_KEYS = [RedisConfigKeys.labels, RedisConfigKeys.egress, RedisConfigKeys.egressLegacy] as const;
const STRING_KEYS = [RedisConfigKeys.jaegerCollector, RedisConfigKeys.jaegerAgent] as const;
/** bound on entries read per key: a runaway list cannot exhaust memory */
const MAX_ENTRIES = 10_000;
/** keyspace classes we need: K keyspace channel, g generic (DEL, RENAME, EXPIRE), $ strings, l lists, s sets */
const NEEDED_FLAGS = 'Kg$ls';

export class RedisConfigWatcher {
  private watch: RedisWatch | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readQueued = false;
  private lastFailure = '';
  private config: CaptureRedisConfig = defaultRedisConfig();
  private configJson = JSON.stringify(this.config);
  private issuesJson = '[]';
  private mode: 'keyspace' | 'polling' = 'polling';
  private readonly counters = { reads: 0, readFailures: 0, reloads: 0, keyspaceEvents: 0 };

  constructor(private readonly o: RedisConfigWatcherOptions, private readonly log: Logger) {}

  /** The configuration in force (the defaults until Redis has been read). */
  current(): CaptureRedisConfig {
    return this.config;
  }

  stats(): RedisConfigWatcherStats {
    return { ...this.counters, connected: this.watch?.connected ?? false, mode: this.mode };
  }

  /** Delivers the defaults, connects, waits at most startWaitMs for a first read. Never throws. */
  async start(): Promise<void> {
    if (this.watch) return;
    await this.deliver(this.config, [], false);
    const db = databaseOf(this.o.url);
    const watch = new RedisWatch({
      url: this.o.url,
      periodMs: this.o.periodMs ?? 1000,
      startWaitMs: this.o.startWaitMs ?? 1000,
      reconnect: { stepMs: 250, maxMs: 2000 },
      onReady: (client) => {
        // a restarted Redis forgot our CONFIG SET; ask again on every (re)connect
        if (this.o.keyspaceEvents ?? true) void this.enableKeyspaceEvents(client);
        this.enqueue();
      },
      subscribe: (subscriber) => subscriber.pSubscribe([`__keyspace@${db}__:clovisor_*`, `__keyspace@${db}__:${RedisConfigKeys.egressLegacy}`], () => {
        this.counters.keyspaceEvents++;
        this.enqueue();
      }),
      onTick: () => this.enqueue(),
      settled: () => this.chain,
      outageMessage: () => `Redis ${this.o.url} unreachable: keeping the current capture configuration (${this.counters.reads === 0 ? 'defaults' : 'last read'}); retrying`,
      backMessage: () => `Redis ${this.o.url} is back: reading the capture configuration again`,
    }, this.log);
    this.watch = watch;
    await watch.start();
  }

  async stop(): Promise<void> {
    const watch = this.watch;
    this.watch = null;
    await watch?.stop();
    await this.chain;
  }

  /** One read at a time, and at most one waiting: ticks and events during a slow read coalesce. */
  private enqueue(): void {
    if (this.readQueued) return;
    this.readQueued = true;
    this.chain = this.chain.then(() => {
      this.readQueued = false;
      return this.read();
    });
  }

  private async read(): Promise<void> {
    const client = this.watch?.client ?? null;
    if (client === null || !client.isReady) return;
    let raw: RawRedisConfig;
    try {
      raw = await readKeys(client);
    } catch (err) {
      this.counters.readFailures++;
      if (!client.isReady) this.watch?.outage(err);
      else if (errorMessage(err) !== this.lastFailure) {
        // e.g. a key changed type between TYPE and the read, or an ACL forbids it
        this.lastFailure = errorMessage(err);
        this.log.warn('reading the capture configuration from Redis failed; retrying', { error: this.lastFailure });
      }
      return;
    }
    this.counters.reads++;
    this.lastFailure = '';
    const { config, issues } = parseRedisConfig(raw);
    const issuesJson = JSON.stringify(issues);
    if (issuesJson !== this.issuesJson) {
      this.issuesJson = issuesJson;
      for (const i of issues) this.log.warn('invalid Redis configuration entry ignored', { key: i.key, entry: i.entry, reason: i.reason });
    }
    const json = JSON.stringify(config);
    if (json === this.configJson) return;
    this.config = config;
    this.configJson = json;
    await this.deliver(config, issues, true);
  }

  private async deliver(config: CaptureRedisConfig, issues: ConfigIssue[], reload: boolean): Promise<void> {
    if (reload) {
      this.counters.reloads++;
      this.log.info('capture configuration from Redis changed', summary(config));
    }
    try {
      await this.o.onConfig(config, issues);
    } catch (err) {
      this.log.error('applying the Redis capture configuration failed', { error: errorMessage(err) });
    }
  }

  private async enableKeyspaceEvents(client: RedisClient): Promise<void> {
    try {
      const current = (await client.configGet('notify-keyspace-events'))['notify-keyspace-events'] ?? '';
      const covered = current.includes('K') && (current.includes('A') || [...'g$ls'].every((f) => current.includes(f)));
      if (!covered) await client.configSet('notify-keyspace-events', unionFlags(current, NEEDED_FLAGS));
      if (this.mode !== 'keyspace') this.log.info('following Redis keyspace notifications for the capture configuration');
      this.mode = 'keyspace';
    } catch (err) {
      // managed Redis services often forbid CONFIG; polling alone keeps the 1 s promise
      if (this.mode === 'keyspace' || this.counters.reads === 0) {
        this.log.info(`keyspace notifications unavailable (${errorMessage(err)}); polling the configuration every ${this.o.periodMs ?? 1000} ms`);
      }
      this.mode = 'polling';
    }
  }
}

async function readKeys(client: RedisClient): Promise<RawRedisConfig> {
  const keys: RedisConfigKey[] = [...LIST_KEYS, ...STRING_KEYS];
  const types = await Promise.all(keys.map((k) => client.type(k)));
  const values = await Promise.all(keys.map((key, n): Promise<RawValue> => {
    switch (types[n]) {
      case 'none': return Promise.resolve(null);
      case 'list': return client.lRange(key, 0, MAX_ENTRIES - 1);
      // sorted: a set has no order, and a different order must not look like a change
      case 'set': return client.sRandMemberCount(key, MAX_ENTRIES).then((v) => v.sort());
      case 'string': return client.get(key).then((v) => v ?? null);
      default: return Promise.resolve({ unsupportedType: types[n] ?? 'unknown' });
    }
  }));
  return Object.fromEntries(keys.map((k, n) => [k, values[n]]));
}

function databaseOf(url: string): number {
  try {
    const db = Number(new URL(url).pathname.slice(1) || '0');
    return Number.isInteger(db) && db >= 0 ? db : 0;
  } catch {
    return 0;
  }
}

function unionFlags(current: string, needed: string): string {
  return current + [...needed].filter((f) => !current.includes(f)).join('');
}

function summary(c: CaptureRedisConfig): Record<string, unknown> {
  return {
    selectors: c.selectors.map((s) => (s.label ? `${s.namespace}:${s.label.key}=${s.label.value}` : s.namespace)).join(' '),
    egressRules: c.egress.length,
    otlpSuggestion: c.otlp?.endpoint ?? null,
  };
}
