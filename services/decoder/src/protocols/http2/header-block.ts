// HEADERS and PUSH_PROMISE frames: gather the header block (the frame and its CONTINUATIONs,
// which RFC 9113 §6.10 makes contiguous), HPACK-decode it in order — every block must be
// decoded, even of streams nobody tracks, or the dynamic table drifts — and start, extend
// (trailers, a final response after a 1xx) or end the stream's message.
import type { ParseResult } from '../protocol.js';
import { MessageSink } from './fields.js';
import { Flag, FrameType, headerError, readFrameHeader, type FrameHeader } from './frame-header.js';
import { decodeHeaderBlock } from './hpack.js';
import { endMessage, openStream } from './streams.js';
import { HTTP2_LIMITS, newMessage, type Http2DirectionState, type Http2Frame, type Http2Message, type Http2State } from './types.js';

type Result = ParseResult<Http2Frame>;
const NEEDS_MORE = { kind: 'needs-more-data', absorbed: 0 } as const;
const sink = new MessageSink();

interface Block { consumed: number; ranges: number[] }

/** The whole header block starting with the frame at 0, or a parse result to return now. */
function gather(buf: Buffer, first: FrameHeader, d: Http2DirectionState): Block | Result | 'oversize' {
  const ranges: number[] = [];
  let pos = 0;
  let h = first;
  let total = 0;
  for (;;) {
    if (pos + 9 + h.length > buf.length) return total + h.length > HTTP2_LIMITS.maxHeaderBlockBytes ? 'oversize' : NEEDS_MORE;
    let start = pos + 9;
    let end = start + h.length;
    if (h.type !== FrameType.CONTINUATION) {
      const pad = (h.flags & Flag.PADDED) !== 0 ? (buf[start++] as number) : 0;
      if (h.type === FrameType.PUSH_PROMISE) start += 4;
      else if ((h.flags & Flag.PRIORITY) !== 0) start += 5;
      end -= pad;
      if (end < start) return { kind: 'invalid', reason: 'padding exceeds the frame' };
    }
    ranges.push(start, end);
    total += end - start;
    if (total > HTTP2_LIMITS.maxHeaderBlockBytes) return 'oversize';
    pos += 9 + h.length;
    if ((h.flags & Flag.END_HEADERS) !== 0) return { consumed: pos, ranges };
    if (pos + 9 > buf.length) return NEEDS_MORE;
    h = readFrameHeader(buf, pos);
    const err = headerError(h, d.maxFrameSize);
    if (err !== null) return { kind: 'invalid', reason: err };
    if (h.type !== FrameType.CONTINUATION || h.streamId !== first.streamId) return { kind: 'invalid', reason: 'header block interrupted' };
  }
}

function decode(buf: Buffer, ranges: number[], d: Http2DirectionState, state: Http2State, msg: Http2Message | null): void {
  const block = ranges.length === 2 ? buf : Buffer.concat(chunks(buf, ranges));
  const [start, end] = ranges.length === 2 ? [ranges[0] as number, ranges[1] as number] : [0, block.length];
  const unreliable = d.table.unknownTail;
  sink.msg = msg;
  sink.unknownFields = 0;
  const err = decodeHeaderBlock(block, start, end, d.table, sink);
  if (err !== null) {
    // The table can no longer be trusted; the peer would have closed the connection.
    d.table.lose();
    if (msg !== null) msg.headersPartial = true;
  }
  if (unreliable || err !== null || sink.unknownFields > 0) state.counters.unreliableHeaderBlocks++;
  sink.msg = null;
}

function chunks(buf: Buffer, ranges: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < ranges.length; i += 2) out.push(buf.subarray(ranges[i] as number, ranges[i + 1] as number));
  return out;
}

export function parseHeaderBlock(direction: 'request' | 'response', buf: Buffer, h: FrameHeader, state: Http2State): Result {
  const d = state[direction];
  const block = gather(buf, h, d);
  if (block === 'oversize') {
    // Too large to hold: skip it; the table misses its insertions from now on.
    state.counters.oversizedHeaderBlocks++;
    d.table.lose();
    d.skipContinuationOf = (h.flags & Flag.END_HEADERS) !== 0 ? -1 : h.streamId;
    d.payload = { msg: null, left: h.length, pad: 0, endStream: false };
    return { kind: 'needs-more-data', absorbed: 9 };
  }
  if (!('ranges' in block)) return block;
  const ignored: Result = { kind: 'ignored', consumed: block.consumed };
  if (h.type === FrameType.PUSH_PROMISE) {
    state.counters.pushPromises++;
    decode(buf, block.ranges, d, state, null);
    return ignored;
  }
  const endStream = (h.flags & Flag.END_STREAM) !== 0;
  let msg: Http2Message | null = null;
  let start = false;
  const s = state.streams.get(h.streamId);
  if (direction === 'request' && s === undefined && h.streamId % 2 === 1) {
    msg = newMessage(h.streamId, 'request');
    openStream(state, h.streamId).request = msg;
    start = true;
  } else if (s !== undefined && !(direction === 'request' ? s.requestDone : s.responseDone)) {
    msg = s[direction];
    if (msg === null && direction === 'response') {
      msg = newMessage(h.streamId, 'response');
      s.response = msg;
      start = true;
    }
  }
  decode(buf, block.ranges, d, state, msg);
  if (msg === null) {
    state.counters.untrackedFrames++;
    return ignored;
  }
  msg.wireBytes += block.consumed;
  if (endStream) endMessage(state, msg);
  if (!start && !endStream) return ignored; // a 1xx's final response, or headers mid-message
  return { kind: 'success', frame: { msg, start, end: endStream }, consumed: block.consumed };
}
