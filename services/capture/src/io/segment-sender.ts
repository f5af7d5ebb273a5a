import { backoffDelayMs, codecs, errorMessage, sleep, Topics, type Logger, type RecordProducer, type SegmentBatch } from '@clovisor/core';

export interface SegmentSenderStats {
  queued: number;
  sent: number;
  droppedQueueFull: number;
  sendErrors: number;
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
  private readonly counters = { sent: 0, droppedQueueFull: 0, sendErrors: 0 };

  constructor(private readonly producer: RecordProducer, private readonly log: Logger, private readonly maxQueued = 20_000, private readonly maxPerSend = 256) {}

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
      try {
        await this.producer.send(Topics.segments, chunk.map((b) => ({ key: b.flowId, value: codec.encode(b) })));
        // the queue may have been trimmed from the front meanwhile; remove exactly what was sent
        const sent = new Set(chunk);
        this.queue = this.queue.filter((b) => !sent.has(b));
        this.counters.sent += chunk.length;
        failures = 0;
      } catch (err) {
        this.counters.sendErrors += 1;
        const delay = backoffDelayMs(failures++, 250, 10_000);
        this.log.warn('cannot publish segments, retrying', { retryInMs: delay, queued: this.queue.length, error: errorMessage(err) });
        await sleep(delay, this.abort.signal);
      }
    }
  }
}
