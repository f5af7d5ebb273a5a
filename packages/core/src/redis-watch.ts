// The connection side of following configuration kept in Redis, shared by the capture agent's
// config watcher and the decoder's plugin watcher: a command client and a subscriber client
// that reconnect forever with a capped backoff, fail fast while Redis is down (no offline queue),
// log an outage once and its end once, and tick periodically so polling always works even where
// notifications are unavailable. What to read and when to re-read stays with the caller.
// `redis` is imported on start(), so processes that never watch Redis don't load it.
import type { createClient } from 'redis';
import type { Logger } from './logger.js';
import { errorMessage } from './errors.js';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisWatchOptions {
  url: string;
  /** periodic tick interval (ms) */
  periodMs: number;
  /** how long start() waits for the first ready + read before going on without Redis (ms) */
  startWaitMs: number;
  /** reconnect delay grows by stepMs per attempt up to maxMs */
  reconnect: { stepMs: number; maxMs: number };
  /** every (re)connect of the command client: re-read, re-arm server settings */
  onReady: (client: RedisClient) => void;
  /** once per watcher (node-redis re-subscribes after reconnects by itself) */
  subscribe: (subscriber: RedisClient) => Promise<unknown>;
  onTick: () => void;
  /** settles when the reads queued so far are done; start() waits for it after the first ready */
  settled: () => Promise<void>;
  /** the log line for an outage, and for its end */
  outageMessage: () => string;
  backMessage: () => string;
}

export class RedisWatch {
  private commandClient: RedisClient | null = null;
  private subscriber: RedisClient | null = null;
  private timer: NodeJS.Timeout | undefined;
  private down = false;

  constructor(private readonly o: RedisWatchOptions, private readonly log: Logger) {}

  /** The command client while started (it may be reconnecting: check isReady). */
  get client(): RedisClient | null {
    return this.commandClient;
  }

  get connected(): boolean {
    return this.commandClient?.isReady ?? false;
  }

  /** Connects both clients and waits at most startWaitMs for the first read. Never throws. */
  async start(): Promise<void> {
    if (this.commandClient) return;
    const { createClient: connect } = await import('redis');
    const { stepMs, maxMs } = this.o.reconnect;
    const client = connect({
      url: this.o.url,
      disableOfflineQueue: true, // a read while down fails at once instead of piling up
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(stepMs * (retries + 1), maxMs) },
    });
    const subscriber = client.duplicate();
    this.commandClient = client;
    this.subscriber = subscriber;
    for (const c of [client, subscriber]) c.on('error', (err: unknown) => this.outage(err));
    client.on('ready', () => {
      if (this.down) this.log.info(this.o.backMessage());
      this.down = false;
      this.o.onReady(client);
    });
    let subscribed = false;
    subscriber.on('ready', () => {
      if (subscribed) return;
      subscribed = true;
      this.o.subscribe(subscriber).catch((err: unknown) => { subscribed = false; this.outage(err); });
    });
    client.connect().catch((err: unknown) => this.outage(err));
    subscriber.connect().catch((err: unknown) => this.outage(err));
    const first = new Promise<void>((resolve) => client.once('ready', () => setImmediate(() => resolve(this.o.settled()))));
    await Promise.race([first, new Promise((resolve) => setTimeout(resolve, this.o.startWaitMs).unref())]);
    this.timer = setInterval(() => this.o.onTick(), this.o.periodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const clients = [this.commandClient, this.subscriber];
    this.commandClient = null;
    this.subscriber = null;
    for (const c of clients) if (c) await c.disconnect().catch(() => undefined);
  }

  /** Logs the outage once; the clients keep reconnecting by themselves. */
  outage(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn(this.o.outageMessage(), { error: errorMessage(err) });
  }
}
