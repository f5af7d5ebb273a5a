import { BpfError, fromNative } from './errors.js';
import { track, untrack } from './handles.js';
import { native, type NativeRingReaderHandle, type NativeRingStats } from './native.js';

export interface RingReaderOptions {
  /** Target size of one batch (a single larger record still gets its own batch). Default 256 KiB. */
  maxBatchBytes?: number;
  /** Batches waiting for the JS thread; when full, new batches are dropped and counted. Default 64. */
  maxQueuedBatches?: number;
  /** Called when onBatch throws. Without it the error is rethrown asynchronously (uncaught). */
  onError?: (err: unknown) => void;
}

export interface RingReaderStats extends NativeRingStats {
  /** onBatch invocations that threw */
  callbackErrors: number;
}

export type BatchHandler = (batch: Buffer, count: number) => void;

const DEFAULT_MAX_BATCH_BYTES = 256 * 1024;
const DEFAULT_MAX_QUEUED_BATCHES = 64;

function limit(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new BpfError('EINVAL', `${what} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

/**
 * Reads a BPF ring buffer on a native thread (poll timeout 100 ms) and calls onBatch on the JS
 * thread with framed batches (see batch.ts). Memory in flight is bounded by
 * maxBatchBytes × maxQueuedBatches. close() stops and joins the thread; it is idempotent, and no
 * batch is delivered after it returns (undelivered records are counted as discardedRecords).
 */
export class RingReader {
  readonly kind = 'ring-reader' as const;
  readonly mapName: string;
  private handle: NativeRingReaderHandle | null;
  private finalStats: NativeRingStats | null = null;
  private callbackErrors = 0;
  private readonly onClose: (r: RingReader) => void;

  /** @internal use BpfObject.openRingReader() */
  constructor(mapName: string, mapFd: number, onBatch: BatchHandler, opts: RingReaderOptions, onClose: (r: RingReader) => void) {
    this.mapName = mapName;
    this.onClose = onClose;
    const maxBatchBytes = limit(opts.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES, 4096, 64 << 20, 'maxBatchBytes');
    const maxQueued = limit(opts.maxQueuedBatches, DEFAULT_MAX_QUEUED_BATCHES, 1, 65536, 'maxQueuedBatches');
    const onError = opts.onError;
    const deliver = (batch: Buffer, count: number): void => {
      try {
        onBatch(batch, count);
      } catch (err) {
        this.callbackErrors++;
        if (onError) onError(err);
        else process.nextTick(() => { throw err; });
      }
    };
    try {
      this.handle = new (native().RingReader)(mapFd, deliver, maxBatchBytes, maxQueued);
    } catch (err) {
      throw fromNative(err, `opening ring reader on map ${mapName}`);
    }
    track(this);
  }

  get closed(): boolean {
    return this.handle === null;
  }

  stats(): RingReaderStats {
    const s = this.handle ? this.handle.stats() : this.finalStats!;
    return { ...s, callbackErrors: this.callbackErrors };
  }

  close(): void {
    const h = this.handle;
    if (h === null) return;
    this.handle = null;
    h.close();
    this.finalStats = h.stats();
    untrack(this);
    this.onClose(this);
  }

  describe(): string {
    return `ring reader on map ${this.mapName}`;
  }
}
