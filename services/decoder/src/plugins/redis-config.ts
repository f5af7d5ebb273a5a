// Plugin configuration from Redis (compatible with Clovisor): the hash clovisor_proto_cfg
// (protocol → module path), re-read when a protocol name is published on
// clovisor_proto_plugin_cfg_chan (that plugin is then loaded again even if its path did not
// change) and every periodMs. Redis down: keep what is loaded, log once per outage, retry.
import { errorMessage, RedisWatch, type Logger } from '@clovisor/core';
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

export class PluginConfigWatcher {
  private watch: RedisWatch | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly counters = { reads: 0, readFailures: 0, reloadMessages: 0 };

  constructor(private readonly o: PluginConfigWatcherOptions, private readonly log: Logger) {}

  /** Connects and reads once (waiting at most startWaitMs); never throws when Redis is down. */
  async start(): Promise<void> {
    if (this.watch) return;
    const watch = new RedisWatch({
      url: this.o.url,
      periodMs: this.o.periodMs ?? 10_000,
      startWaitMs: this.o.startWaitMs ?? 2000,
      reconnect: { stepMs: 500, maxMs: 5000 },
      onReady: () => this.enqueue(null),
      subscribe: (subscriber) => subscriber.subscribe(PLUGIN_RELOAD_CHANNEL, (message) => {
        this.counters.reloadMessages++;
        this.enqueue(message.trim());
      }),
      onTick: () => this.enqueue(null),
      settled: () => this.chain,
      outageMessage: () => `Redis ${this.o.url} unreachable: plugins from ${PLUGIN_CONFIG_KEY} are not (re)loaded until it answers; retrying (flag-given plugins run)`,
      backMessage: () => `Redis ${this.o.url} is back: re-reading ${PLUGIN_CONFIG_KEY}`,
    }, this.log);
    this.watch = watch;
    await watch.start();
  }

  stats(): PluginConfigWatcherStats {
    return { ...this.counters, connected: this.watch?.connected ?? false };
  }

  async stop(): Promise<void> {
    const watch = this.watch;
    this.watch = null;
    await watch?.stop();
    await this.chain;
  }

  /** Reads run one after the other, so a reload never overtakes an older read. */
  private enqueue(reload: string | null): void {
    this.chain = this.chain.then(() => this.read(reload)).catch((err: unknown) => this.log.error('applying the plugin configuration failed', { error: errorMessage(err) }));
  }

  private async read(reload: string | null): Promise<void> {
    const client = this.watch?.client ?? null;
    if (client === null || !client.isReady) return;
    let hash: Record<string, string>;
    try {
      hash = await client.hGetAll(PLUGIN_CONFIG_KEY);
    } catch (err) {
      this.counters.readFailures++;
      this.watch?.outage(err);
      return;
    }
    this.counters.reads++;
    const specs = Object.entries(hash).map(([protocol, path]) => ({ protocol: protocol.trim(), path: path.trim(), source: 'redis' as const }))
      .filter((s) => s.protocol !== '' && s.path !== '');
    await this.o.onConfig(specs, reload === '' ? null : reload);
  }
}
