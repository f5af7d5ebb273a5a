// Plugin configuration from Redis (compatible with Clovisor): the hash clovisor_proto_cfg
// (protocol → module path), re-read when a protocol name is published on
// clovisor_proto_plugin_cfg_chan (that plugin is then loaded again even if its path did not
// change) and every periodMs. Redis down: keep what is loaded, log once per outage, retry.
import type { createClient } from 'redis';
import { errorMessage, type Logger } from '@clovisor/core';
import type { PluginSpec } from './types.js';

export const PLUGIN_CONFIG_KEY = 'clovisor_proto_cfg';
export const PLUGIN_RELOAD_CHANNEL = 'clovisor_proto_plugin_cfg_chan';

export interface PluginConfigWatcherOptions {
  url: string;
  /** full re-read interval; default 10 000 */
  periodMs?: number;
  /** how long start() waits for a first read before going on without Redis; default 2000 */
  startWaitMs?: number;
  /** the hash's entries after a read; reload = the protocol named on the channel, if any */
  onConfig: (specs: PluginSpec[], reload: string | null) => Promise<void>;
}

export interface PluginConfigWatcherStats {
  reads: number;
  readFailures: number;
  reloadMessages: number;
  connected: boolean;
}

type Client = ReturnType<typeof createClient>;

export class PluginConfigWatcher {
  private client: Client | null = null;
  private subscriber: Client | null = null;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private down = false;
  private readonly counters = { reads: 0, readFailures: 0, reloadMessages: 0 };

  constructor(private readonly o: PluginConfigWatcherOptions, private readonly log: Logger) {}

  /** Connects and reads once (waiting at most startWaitMs); never throws when Redis is down. */
  async start(): Promise<void> {
    const options = {
      url: this.o.url,
      disableOfflineQueue: true, // a read while down fails at once instead of piling up
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(500 * (retries + 1), 5000) },
    };
    // loaded here, not with the package: commands that never watch Redis (replay, pcap) start faster
    const { createClient: connect } = await import('redis');
    const client = connect(options);
    const subscriber = client.duplicate();
    this.client = client;
    this.subscriber = subscriber;
    for (const c of [client, subscriber]) c.on('error', (err: unknown) => this.outage(err));
    client.on('ready', () => {
      if (this.down) this.log.info(`Redis ${this.o.url} is back: re-reading ${PLUGIN_CONFIG_KEY}`);
      this.down = false;
      this.enqueue(null);
    });
    let subscribed = false;
    subscriber.on('ready', () => {
      if (subscribed) return; // the client subscribes again by itself after a reconnect
      subscribed = true;
      subscriber.subscribe(PLUGIN_RELOAD_CHANNEL, (message) => {
        this.counters.reloadMessages++;
        this.enqueue(message.trim());
      }).catch((err: unknown) => { subscribed = false; this.outage(err); });
    });
    client.connect().catch((err: unknown) => this.outage(err));
    subscriber.connect().catch((err: unknown) => this.outage(err));
    const first = new Promise<void>((resolve) => client.once('ready', () => setImmediate(() => resolve(this.chain))));
    await Promise.race([first, new Promise((resolve) => setTimeout(resolve, this.o.startWaitMs ?? 2000).unref())]);
    this.timer = setInterval(() => this.enqueue(null), this.o.periodMs ?? 10_000);
    this.timer.unref();
  }

  stats(): PluginConfigWatcherStats {
    return { ...this.counters, connected: this.client?.isReady ?? false };
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

  /** Reads run one after the other, so a reload never overtakes an older read. */
  private enqueue(reload: string | null): void {
    this.chain = this.chain.then(() => this.read(reload)).catch((err: unknown) => this.log.error('applying the plugin configuration failed', { error: errorMessage(err) }));
  }

  private async read(reload: string | null): Promise<void> {
    const client = this.client;
    if (client === null || !client.isReady) return;
    let hash: Record<string, string>;
    try {
      hash = await client.hGetAll(PLUGIN_CONFIG_KEY);
    } catch (err) {
      this.counters.readFailures++;
      this.outage(err);
      return;
    }
    this.counters.reads++;
    const specs = Object.entries(hash).map(([protocol, path]) => ({ protocol: protocol.trim(), path: path.trim(), source: 'redis' as const }))
      .filter((s) => s.protocol !== '' && s.path !== '');
    await this.o.onConfig(specs, reload === '' ? null : reload);
  }

  private outage(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn(`Redis ${this.o.url} unreachable: plugins from ${PLUGIN_CONFIG_KEY} are not (re)loaded until it answers; retrying (flag-given plugins run)`, { error: errorMessage(err) });
  }
}
