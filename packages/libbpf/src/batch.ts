// Batch framing shared with native/ring_reader.cc (pure, no addon needed):
//   repeated [u32 length, host order][length record bytes][zero pad to a multiple of 8]
import { BpfError } from './errors.js';

export const BATCH_ALIGN = 8;

/** Offset of the next frame after a record of `length` bytes starting at `off`. */
function nextFrame(off: number, length: number): number {
  return off + Math.ceil((4 + length) / BATCH_ALIGN) * BATCH_ALIGN;
}

/**
 * Calls fn with a view (no copy) of each record in a batch. The views share the batch's memory:
 * copy what you keep beyond the callback if the batch is large and mostly discarded.
 * Throws BpfError EBADMSG on a frame that runs past the end.
 */
export function forEachRecord(batch: Buffer, fn: (record: Buffer, index: number) => void): number {
  let off = 0;
  let n = 0;
  while (off < batch.length) {
    if (off + 4 > batch.length) throw new BpfError('EBADMSG', `ring batch: truncated frame header at offset ${off} of ${batch.length}`);
    const length = batch.readUInt32LE(off);
    if (off + 4 + length > batch.length) {
      throw new BpfError('EBADMSG', `ring batch: record of ${length} bytes at offset ${off} runs past the batch end (${batch.length})`);
    }
    fn(batch.subarray(off + 4, off + 4 + length), n++);
    off = nextFrame(off, length);
  }
  return n;
}

/** Splits a batch into record views (subarrays of `batch`). */
export function splitBatch(batch: Buffer): Buffer[] {
  const out: Buffer[] = [];
  forEachRecord(batch, (r) => out.push(r));
  return out;
}

/** Builds a batch from records exactly as the native reader frames them (for tests, replays). */
export function frameBatch(records: readonly Buffer[]): Buffer {
  let size = 0;
  for (const r of records) size = nextFrame(size, r.length);
  const out = Buffer.alloc(size);
  let off = 0;
  for (const r of records) {
    out.writeUInt32LE(r.length, off);
    r.copy(out, off + 4);
    off = nextFrame(off, r.length);
  }
  return out;
}
