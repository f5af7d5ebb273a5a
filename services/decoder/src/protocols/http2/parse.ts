// parseFrame / absorbGap / abandon for HTTP/2 (see protocols/protocol.ts for the contract).
// Each call handles one HTTP/2 frame. DATA payloads (and frames too large to hold) stream
// through: counted as they arrive, never buffered. The start and the end of each message go
// to the driver as frames; everything else is 'ignored' once consumed.
import type { Direction, ParseResult } from '../protocol.js';
import { countGrpc, isGrpc, skipGrpc } from './grpc.js';
import { Flag, FrameType, PREFACE, headerError, readFrameHeader } from './frame-header.js';
import { parseHeaderBlock } from './header-block.js';
import { endMessage, markGap, resetStream } from './streams.js';
import { HTTP2_LIMITS, type Http2DirectionState, type Http2Frame, type Http2State } from './types.js';

type Result = ParseResult<Http2Frame>;
const NEEDS_MORE = { kind: 'needs-more-data', absorbed: 0 } as const;

/** The first bytes of a direction: a clean start keeps HPACK exact, a mid-stream one cannot. */
function begin(direction: Direction, buf: Buffer, state: Http2State): Result | null {
  const d = state[direction];
  if (direction === 'request') {
    const n = Math.min(buf.length, PREFACE.length);
    if (buf.compare(PREFACE, 0, n, 0, n) === 0) {
      if (n < PREFACE.length) return NEEDS_MORE;
      d.started = true;
      return { kind: 'ignored', consumed: PREFACE.length };
    }
  } else {
    if (buf.length < 9) return NEEDS_MORE;
    const h = readFrameHeader(buf, 0);
    if (h.type === FrameType.SETTINGS && (h.flags & Flag.ACK) === 0) { d.started = true; return null; }
  }
  // Picked up mid-connection: earlier header blocks (and SETTINGS) were never seen.
  d.started = true;
  d.table.lose();
  state.request.maxFrameSize = HTTP2_LIMITS.maxFrameSize;
  state.response.maxFrameSize = HTTP2_LIMITS.maxFrameSize;
  return null;
}

/** Walk the payload in progress from buf[pos]. */
function streamPayload(d: Http2DirectionState, buf: Buffer, pos: number, state: Http2State): Result {
  const p = d.payload;
  if (p === null) return NEEDS_MORE;
  const n = Math.min(buf.length - pos, p.left);
  const msg = p.msg;
  if (msg !== null) {
    const data = Math.max(0, Math.min(n, p.left - p.pad));
    msg.bodyBytes += data;
    if (data > 0 && isGrpc(msg.contentType)) countGrpc(msg.grpc, buf, pos, pos + data);
  }
  p.left -= n;
  const end = pos + n;
  if (p.left > 0) return { kind: 'needs-more-data', absorbed: end };
  d.payload = null;
  if (p.endStream && msg !== null && !msg.ended) {
    endMessage(state, msg);
    return { kind: 'success', frame: { msg, start: false, end: true }, consumed: end };
  }
  return end > 0 ? { kind: 'ignored', consumed: end } : NEEDS_MORE;
}

function control(direction: Direction, buf: Buffer, type: number, flags: number, streamId: number, length: number, state: Http2State): Result {
  const consumed = 9 + length;
  const ignored: Result = { kind: 'ignored', consumed };
  if (type === FrameType.SETTINGS && (flags & Flag.ACK) === 0) {
    // This side's limits bound what the other side sends.
    const other = state[direction === 'request' ? 'response' : 'request'];
    for (let at = 9; at + 6 <= consumed; at += 6) {
      const v = buf.readUInt32BE(at + 2);
      if (buf.readUInt16BE(at) === 5) {
        if (v < HTTP2_LIMITS.defaultMaxFrameSize || v > HTTP2_LIMITS.maxFrameSize) return { kind: 'invalid', reason: 'bad SETTINGS_MAX_FRAME_SIZE' };
        other.maxFrameSize = v;
      }
    }
  } else if (type === FrameType.RST_STREAM) {
    const msg = resetStream(state, streamId, buf.readUInt32BE(9), direction);
    if (msg !== null) return { kind: 'success', frame: { msg, start: false, end: true }, consumed };
  } else if (type === FrameType.GOAWAY) state.goaway = true;
  return ignored;
}

export function parseFrame(direction: Direction, buf: Buffer, state: Http2State, _atEnd: boolean): Result {
  const d = state[direction];
  if (d.payload !== null) {
    const r = streamPayload(d, buf, 0, state);
    // A payload that a capture gap finished leaves nothing to consume: go on with the next frame.
    if (r !== NEEDS_MORE || d.payload !== null || buf.length === 0) return r;
  }
  if (!d.started) {
    const r = begin(direction, buf, state);
    if (r !== null) return r;
  }
  if (buf.length < 9) return NEEDS_MORE;
  const h = readFrameHeader(buf, 0);
  const err = headerError(h, d.maxFrameSize);
  if (err !== null) return { kind: 'invalid', reason: err };
  if (h.type === FrameType.CONTINUATION) {
    // Only the rest of a block we chose to skip; any other is a block whose start we missed.
    if (h.streamId !== d.skipContinuationOf) d.table.lose();
    if ((h.flags & Flag.END_HEADERS) !== 0) d.skipContinuationOf = -1;
    d.payload = { msg: null, left: h.length, pad: 0, endStream: false };
    return streamPayload(d, buf, 9, state);
  }
  if (d.skipContinuationOf >= 0) return { kind: 'invalid', reason: 'header block interrupted' };
  if (h.type === FrameType.HEADERS || h.type === FrameType.PUSH_PROMISE) return parseHeaderBlock(direction, buf, h, state);
  if (h.type === FrameType.DATA) {
    const padded = (h.flags & Flag.PADDED) !== 0;
    if (padded && buf.length < 10) return NEEDS_MORE;
    const pad = padded ? (buf[9] as number) : 0;
    if (padded && pad > h.length - 1) return { kind: 'invalid', reason: 'padding exceeds the frame' };
    const s = state.streams.get(h.streamId);
    const msg = s === undefined ? null : s[direction];
    if (msg === null) state.counters.untrackedFrames++;
    else msg.wireBytes += 9 + h.length;
    d.payload = { msg, left: h.length - (padded ? 1 : 0), pad, endStream: (h.flags & Flag.END_STREAM) !== 0 };
    return streamPayload(d, buf, padded ? 10 : 9, state);
  }
  if (h.length > HTTP2_LIMITS.maxControlFrameBytes) {
    d.payload = { msg: null, left: h.length, pad: 0, endStream: false }; // e.g. GOAWAY debug data
    return streamPayload(d, buf, 9, state);
  }
  if (buf.length < 9 + h.length) return NEEDS_MORE;
  return control(direction, buf, h.type, h.flags, h.streamId, h.length, state);
}

export function absorbGap(direction: Direction, length: number, state: Http2State): number {
  const d = state[direction];
  const p = d.payload;
  if (p === null) {
    lost(direction, state); // the hole may hold header blocks and frames of any stream
    return 0;
  }
  const n = Math.min(length, p.left);
  if (p.msg !== null) {
    const data = Math.max(0, Math.min(n, p.left - p.pad));
    p.msg.bodyBytes += data;
    p.msg.gapBytes += n;
    if (data > 0) skipGrpc(p.msg.grpc, data);
  }
  p.left -= n;
  if (n < length) lost(direction, state);
  return n;
}

export function abandon(direction: Direction, _buf: Buffer, state: Http2State): Http2Frame | null {
  // The driver drops what it holds and resyncs: header blocks in those bytes are lost. Messages
  // in progress stay open; stitch reports them cut short if they never end.
  const d = state[direction];
  d.payload = null;
  d.skipContinuationOf = -1;
  lost(direction, state);
  return null;
}

function lost(direction: Direction, state: Http2State): void {
  state[direction].table.lose();
  markGap(state, direction);
}
