// Follows the capture configuration Clovisor kept in Redis (core/redis-config.ts has the keys
// and their forms). Changes apply within about a second: the keys are re-read every periodMs
// (1 s), and sooner when Redis sends a keyspace notification for one of them. Clovisor had no
// change channel for these keys, so polling is what always works; notifications are switched on
// with CONFIG SET (adding flags, never removing others' ones) when the server allows it.
// Redis down, at start or later: the last configuration (at first the defaults) stays, the
// outage is logged once, and the client keeps reconnecting. Nothing here throws at the caller.
import { createClient } from 'redis';
import { errorMessage, type Logger } from '@clovisor/core';
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

type Client = ReturnType<typeof createClient>;

const LIST_KEYS = [RedisConfigKeys.labels, RedisConfigKeys.egress, RedisConfigKeys.egressLegacy] as const;
const STRING_KEYS = [RedisConfigKeys.jaegerCollector, RedisConfigKeys.jaegerAgent] as const;
/** bound on entries read per key: a runaway list cannot exhaust memory */
const MAX_ENTRIES = 10_000;
/** keyspace classes we need: K keyspace channel, g generic (DEL, RENAME, EXPIRE), $ strings, l lists, s sets */
const NEEDED_FLAGS = 'Kg$ls';

export class RedisConfigWatcher {
  private client: Client | null = null;
  private subscriber: Client | null = null;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readQueued = false;
  private down = false;
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
    return { ...this.counters, connected: this.client?.isReady ?? false, mode: this.mode };
  }

  /** Delivers the defaults, connects, waits at most startWaitMs for a first read. Never throws. */
  async start(): Promise<void> {
    if (this.client) return;
    await this.deliver(this.config, [], false);
    const client = createClient({
      url: this.o.url,
      disableOfflineQueue: true, // a read while down fails at once instead of piling up
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(250 * (retries + 1), 2000) },
    });
    const subscriber = client.duplicate();
    this.client = client;
    this.subscriber = subscriber;
    for (const c of [client, subscriber]) c.on('error', (err: unknown) => this.outage(err));
    client.on('ready', () => {
      if (this.down) this.log.info(`Redis ${this.o.url} is back: reading the capture configuration again`);
      this.down = false;
      // a restarted Redis forgot our CONFIG SET; ask again on every (re)connect
      if (this.o.keyspaceEvents ?? true) void this.enableKeyspaceEvents(client);
      this.enqueue();
    });
    let subscribed = false;
    subscriber.on('ready', () => {
      if (subscribed) return; // node-redis subscribes again by itself after a reconnect
      subscribed = true;
      const db = databaseOf(this.o.url);
      const onEvent = () => {
        this.counters.keyspaceEvents++;
        this.enqueue();
      };
      subscriber.pSubscribe([`__keyspace@${db}__:clovisor_*`, `__keyspace@${db}__:${RedisConfigKeys.egressLegacy}`], onEvent)
        .catch((err: unknown) => { subscribed = false; this.outage(err); });
    });
    client.connect().catch((err: unknown) => this.outage(err));
    subscriber.connect().catch((err: unknown) => this.outage(err));
    const first = new Promise<void>((resolve) => client.once('ready', () => setImmediate(() => resolve(this.chain))));
    await Promise.race([first, new Promise((resolve) => setTimeout(resolve, this.o.startWaitMs ?? 1000).unref())]);
    this.timer = setInterval(() => this.enqueue(), this.o.periodMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const clients = [this.client, this.subscriber];
    this.client = null;
    this.subscriber = null;
    for (const c of clients) if (c) await c.disconnect().catch(() => undefined);
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
    const client = this.client;
    if (client === null || !client.isReady) return;
    let raw: RawRedisConfig;
    try {
      raw = await readKeys(client);
    } catch (err) {
      this.counters.readFailures++;
      if (!client.isReady) this.outage(err);
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

  private async enableKeyspaceEvents(client: Client): Promise<void> {
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

  private outage(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn(`Redis ${this.o.url} unreachable: keeping the current capture configuration (${this.counters.reads === 0 ? 'defaults' : 'last read'}); retrying`, { error: errorMessage(err) });
  }
}

async function readKeys(client: Client): Promise<RawRedisConfig> {
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
