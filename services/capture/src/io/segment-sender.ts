import { backoffDelayMs, codecs, errorMessage, sleep, Topics, type Logger, type RecordProducer, type SegmentBatch } from '@clovisor/core';

export interface SegmentSenderStats {
  queued: number;
  sent: number;
  droppedQueueFull: number;
  sendErrors: number;
  /** duration of the latest successful send, 0 before the first */
  lastSendLatencyMs: number;
}

export interface SegmentSenderOptions {
  /** batches queued at most; default 20 000 */
  maxQueued?: number;
  /** batches per Kafka request at most; default 256 */
  maxPerSend?: number;
  /** told the duration of every Kafka send (the metrics histogram) */
  onSendDuration?: (seconds: number, ok: boolean) => void;
}

/**
 * A bounded queue between the capture loop and Kafka. While Kafka is slow or down the queue
 * fills; past maxQueued the oldest batches are dropped and counted, so capture never blocks
 * the ring buffer and memory stays bounded.
 */
export class SegmentSender {
  private queue: SegmentBatch[] = [];
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private draining = false;
  private readonly counters = { sent: 0, droppedQueueFull: 0, sendErrors: 0, lastSendLatencyMs: 0 };
  private readonly maxQueued: number;
  private readonly maxPerSend: number;

  constructor(private readonly producer: RecordProducer, private readonly log: Logger, private readonly options: SegmentSenderOptions = {}) {
    this.maxQueued = options.maxQueued ?? 20_000;
    this.maxPerSend = options.maxPerSend ?? 256;
  }

  start(): void {
    this.loop ??= this.run();
  }

  enqueue(batches: SegmentBatch[]): void {
    if (batches.length === 0) return;
    this.queue.push(...batches);
    const excess = this.queue.length - this.maxQueued;
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.counters.droppedQueueFull += excess;
    }
    this.wake?.();
  }

  stats(): SegmentSenderStats {
    return { ...this.counters, queued: this.queue.length };
  }

  /** Sends what is queued (up to timeoutMs), then stops. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    this.wake?.();
    const timer = setTimeout(() => this.abort.abort(), timeoutMs);
    await this.loop;
    clearTimeout(timer);
    if (this.queue.length > 0) this.log.warn('segments not sent before exit', { batches: this.queue.length });
  }

  private async run(): Promise<void> {
    const codec = codecs().segments;
    for (let failures = 0; !this.abort.signal.aborted; ) {
      if (this.queue.length === 0) {
        if (this.draining) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const chunk = this.queue.slice(0, this.maxPerSend);
      const began = performance.now();
      try {
        await this.producer.send(Topics.segments, chunk.map((b) => ({ key: b.flowId, value: codec.encode(b) })));
        const tookMs = performance.now() - began;
        this.counters.lastSendLatencyMs = tookMs;
        this.options.onSendDuration?.(tookMs / 1000, true);
        // the queue may have been trimmed from the front meanwhile; remove exactly what was sent
        const sent = new Set(chunk);
        this.queue = this.queue.filter((b) => !sent.has(b));
        this.counters.sent += chunk.length;
        failures = 0;
      } catch (err) {
        this.counters.sendErrors += 1;
        this.options.onSendDuration?.((performance.now() - began) / 1000, false);
        const delay = backoffDelayMs(failures++, 250, 10_000);
        this.log.warn('cannot publish segments, retrying', { retryInMs: delay, queued: this.queue.length, error: errorMessage(err) });
        await sleep(delay, this.abort.signal);
      }
    }
  }
}
