// The shared parse driver of one direction: holds the bytes the parser has not consumed,
// calls the protocol's parseFrame() on them, stamps each frame with its sequence number,
// timestamps and wire size, and does all recovery — resync after 'invalid', holes absorbed into
// a body or turned into a resync, frames cut short by a gap or the end emitted as partial.
import type { ChunkSink, EndReason, GapReason } from '../reassembly/types.js';
import { seqAdd } from '../seq.js';
import type { Direction, Framed, Protocol } from '../../protocols/protocol.js';
import { Timeline } from './timeline.js';
import type { DriverCounters, DriverLimits } from './types.js';

const EMPTY = Buffer.alloc(0);

type Mode = 'idle' | 'parse' | 'resync' | 'stopped';

export class DirectionDriver<F, S> implements ChunkSink {
  private protocol: Protocol<F, S> | null = null;
  private state: S | null = null;
  private mode: Mode = 'idle';
  private buf: Buffer = EMPTY;
  private owned = false; // buf is our copy, not a view into a batch
  private bufOffset = 0; // stream offset of buf[0]
  private baseSeq = -1; // TCP seq of stream offset 0
  private readonly timeline = new Timeline();
  private resyncFrom = 0;
  private afterResync = false;
  private index = 0;
  // The frame in progress (some of its bytes already consumed).
  private frameStart = -1;
  private frameStartNs = 0n;
  private frameTruncated = 0;
  private frameLost = 0;

  constructor(
    readonly direction: Direction,
    private readonly emit: (frame: Framed<F>) => void,
    private readonly counters: DriverCounters,
    private readonly limits: DriverLimits,
  ) {}

  get bufferedBytes(): number { return this.buf.length; }
  /** Timestamped byte ranges held (bounded by the unconsumed bytes, not by the stream). */
  get heldRanges(): number { return this.timeline.size; }
  /** The parser said end-of-stream: the connection speaks another protocol now. */
  switched = false;
  /** Asked at end-of-stream: a parser that goes on with the same bytes (h2c after an HTTP/1.1
   * Upgrade), or null to stop parsing this direction. */
  onSwitch: (() => { protocol: Protocol<F, S>; state: S } | null) | null = null;

  /** Start parsing. resync: the stream may begin mid-message, so look for a frame start first. */
  start(protocol: Protocol<F, S>, state: S, resync: boolean): void {
    this.protocol = protocol;
    this.state = state;
    this.mode = resync ? 'resync' : 'parse';
    this.resyncFrom = 0;
    if (resync) this.afterResync = true; // bytes before detection were not parsed
  }

  /** The stream was picked up mid-connection: unless parsing already went on, look for a frame start. */
  pickedUpMidStream(): void {
    if (this.mode === 'parse' && this.bufOffset === 0 && this.buf.length === 0) {
      this.mode = 'resync';
      this.resyncFrom = 0;
      this.afterResync = true; // what came before the capture is unknown
    }
  }

  /** Stream bytes seen so far (captured or not). */
  get position(): number { return this.bufOffset + this.buf.length; }

  data(bytes: Buffer, seq: number, timestampNs: bigint): void {
    const end = this.bufOffset + this.buf.length + bytes.length;
    if (this.baseSeq < 0) this.baseSeq = seq;
    if (this.mode === 'idle' || this.mode === 'stopped') {
      this.skip(bytes.length, this.mode === 'stopped');
      this.bufOffset = end;
      return;
    }
    this.timeline.add(end, timestampNs);
    if (this.buf.length === 0) { this.buf = bytes; this.owned = false; }
    else { this.buf = Buffer.concat([this.buf, bytes]); this.owned = true; }
    this.run(false);
    // Keep only a copy of leftovers: a view would pin the whole batch buffer it came from.
    if (!this.owned && this.buf.length > 0) { this.buf = Buffer.from(this.buf); this.owned = true; }
  }

  gap(length: number, seq: number, timestampNs: bigint, reason: GapReason): void {
    if (this.baseSeq < 0) this.baseSeq = seq;
    let remaining = length;
    if (this.mode === 'parse') {
      const protocol = this.protocol as Protocol<F, S>;
      // Body bytes the frame in progress was only going to count: count them as missing.
      while (remaining > 0 && this.buf.length === 0 && this.mode === 'parse') {
        const n = Math.min(remaining, protocol.absorbGap(this.direction, remaining, this.state as S));
        if (n <= 0) break;
        if (this.frameStart < 0) this.beginFrame();
        if (reason === 'truncated') this.frameTruncated += n; else this.frameLost += n;
        this.bufOffset += n;
        this.timeline.add(this.bufOffset, timestampNs);
        remaining -= n;
        this.run(false);
      }
      if (remaining > 0 && this.mode === 'parse') {
        // The parser needed these bytes: what is in progress ends here, the stream resyncs after.
        if (this.frameStart >= 0 || this.buf.length > 0) {
          // A snaplen hole is the tail of the segment carrying the frame: count it in the frame.
          const own = reason === 'truncated' ? remaining : 0;
          remaining -= this.cutShort(own > 0 ? null : 'cut short by a capture gap', true, own, timestampNs);
        }
        this.mode = 'resync';
        this.resyncFrom = 0;
      }
    }
    if (this.mode === 'resync') {
      // Bytes kept for a boundary split across segments cannot join bytes after a hole.
      this.skip(this.buf.length, false);
      if (this.buf.length > 0) this.afterResync = true;
    }
    // Bytes no frame owns were lost to parsing: frames before the next one may be missing.
    if (remaining > 0 && this.mode !== 'stopped') this.afterResync = true;
    this.bufOffset += this.buf.length + remaining;
    this.buf = EMPTY;
    this.timeline.add(this.bufOffset, timestampNs);
    this.timeline.dropBefore(this.bufOffset);
  }

  end(reason: EndReason): void {
    if (this.mode === 'parse') {
      this.run(reason !== 'flush');
      if (this.mode === 'parse' && (this.frameStart >= 0 || this.buf.length > 0)) {
        const why = reason === 'fin' ? 'connection closed' : reason === 'rst' ? 'connection reset' : 'flow evicted';
        this.cutShort(`cut short: ${why}`, true, 0, 0n);
      }
    }
    this.skip(this.buf.length, this.mode === 'stopped');
    this.bufOffset += this.buf.length;
    this.buf = EMPTY;
    this.mode = 'stopped';
  }

  private run(atEnd: boolean): void {
    const protocol = this.protocol as Protocol<F, S>;
    for (;;) {
      if (this.mode === 'resync' && !this.resync()) return;
      if (this.mode !== 'parse') return;
      if (this.buf.length === 0 && this.frameStart < 0 && !atEnd) return;
      const r = protocol.parseFrame(this.direction, this.buf, this.state as S, atEnd);
      switch (r.kind) {
        case 'success':
          if (r.consumed <= 0 && this.frameStart < 0) { this.invalid('empty frame'); break; }
          if (this.frameStart < 0) this.beginFrame();
          this.consume(r.consumed);
          this.finishFrame(r.frame, false, null);
          break;
        case 'needs-more-data':
          if (r.absorbed > 0) {
            if (this.frameStart < 0) this.beginFrame();
            this.consume(r.absorbed);
          }
          if (this.buf.length > this.limits.maxBufferedBytes) {
            this.counters.oversizedFrames++;
            this.invalid('frame exceeds the buffer bound');
            break;
          }
          return;
        case 'ignored':
          if (r.consumed <= 0) { this.invalid('empty frame'); break; }
          this.consume(r.consumed);
          this.frameStart = -1;
          break;
        case 'invalid':
          // Bytes the parser already walked and accounted belong to the frame in progress (cut
          // short just below): resyncing inside them would re-walk them once per false start.
          if (r.absorbed !== undefined && r.absorbed > 0) {
            if (this.frameStart < 0) this.beginFrame();
            this.consume(Math.min(r.absorbed, this.buf.length));
          }
          this.invalid(r.reason);
          break;
        case 'end-of-stream': {
          this.switched = true;
          const next = this.onSwitch === null ? null : this.onSwitch();
          if (next !== null) {
            this.protocol = next.protocol;
            this.state = next.state;
            this.run(atEnd);
            return;
          }
          this.skip(this.buf.length, true);
          this.bufOffset += this.buf.length;
          this.buf = EMPTY;
          this.mode = 'stopped';
          return;
        }
      }
      if (atEnd && this.buf.length === 0 && this.frameStart < 0) return;
    }
  }

  /** Find the next frame start; false when none is in the buffer yet. */
  private resync(): boolean {
    const protocol = this.protocol as Protocol<F, S>;
    const at = protocol.findFrameBoundary(this.direction, this.buf, Math.min(this.resyncFrom, this.buf.length));
    if (at < 0) {
      const drop = Math.max(0, this.buf.length - this.limits.resyncKeepBytes);
      this.skip(drop, false);
      this.consume(drop);
      if (drop > 0) this.afterResync = true;
      this.resyncFrom = 0;
      return false;
    }
    this.skip(at, false);
    this.consume(at);
    this.counters.resyncs++;
    if (at > 0) this.afterResync = true;
    this.mode = 'parse';
    return true;
  }

  private invalid(reason: string): void {
    this.counters.invalidFrames++;
    const protocol = this.protocol as Protocol<F, S>;
    // The bad bytes stay in the buffer: the next frame may start inside them.
    if (this.frameStart >= 0) this.cutShort(`cut short: invalid (${reason})`, false, 0, 0n);
    else protocol.abandon(this.direction, EMPTY, this.state as S); // reset the parser only
    this.mode = 'resync';
    this.resyncFrom = 1; // never find the same bad start again
  }

  /** Emit what is known of the frame in progress. takeBuffer: the unconsumed bytes are its
   * (incomplete) rest; `own` more bytes of a hole after them belong to it too. */
  private cutShort(note: string | null, takeBuffer: boolean, own: number, holeTs: bigint): number {
    const protocol = this.protocol as Protocol<F, S>;
    const frame = protocol.abandon(this.direction, takeBuffer ? this.buf : EMPTY, this.state as S);
    if (frame === null) {
      if (takeBuffer) { this.skip(this.buf.length, false); this.consume(this.buf.length); }
      this.frameStart = -1;
      this.frameTruncated = 0;
      this.frameLost = 0;
      return 0;
    }
    if (this.frameStart < 0) this.beginFrame();
    if (takeBuffer) this.consume(this.buf.length);
    if (own > 0) {
      this.frameTruncated += own;
      this.bufOffset += own;
      this.timeline.add(this.bufOffset, holeTs);
    }
    this.counters.partialFrames++;
    this.finishFrame(frame, true, note);
    return own;
  }

  private beginFrame(): void {
    this.frameStart = this.bufOffset;
    this.frameStartNs = this.timeline.at(this.bufOffset);
  }

  private consume(n: number): void {
    if (n <= 0) return;
    this.buf = n >= this.buf.length ? EMPTY : this.buf.subarray(n);
    this.bufOffset += n;
    // Only the range holding the last consumed byte may still be asked for (a frame's end):
    // a body streaming through must not leave one entry per segment behind.
    this.timeline.dropBefore(this.bufOffset - 1);
  }

  private finishFrame(frame: F, partial: boolean, note: string | null): void {
    const end = this.bufOffset;
    this.emit({
      frame,
      direction: this.direction,
      index: this.index++,
      seq: seqAdd(this.baseSeq, this.frameStart),
      startNs: this.frameStartNs,
      endNs: this.timeline.at(Math.max(this.frameStart, end - 1)),
      wireBytes: end - this.frameStart,
      truncatedBytes: this.frameTruncated,
      lostBytes: this.frameLost,
      partial,
      afterResync: this.afterResync,
      notes: note === null ? [] : [note],
    });
    this.afterResync = false;
    this.frameStart = -1;
    this.frameTruncated = 0;
    this.frameLost = 0;
    this.timeline.dropBefore(end);
  }

  private skip(n: number, afterSwitch: boolean): void {
    if (n <= 0) return;
    if (afterSwitch) this.counters.bytesAfterSwitch += n;
    else this.counters.bytesSkipped += n;
  }
}
