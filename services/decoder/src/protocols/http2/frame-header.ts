// The 9-byte HTTP/2 frame header (RFC 9113 §4.1) and its validity rules, shared by the parser
// (to reject bytes that are not HTTP/2) and by detection/resync (to find a frame start).
import type { Direction } from '../protocol.js';

export const FrameType = {
  DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7,
  WINDOW_UPDATE: 8, CONTINUATION: 9,
} as const;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface FrameHeader { length: number; type: number; flags: number; streamId: number }

/** Reads the header at buf[at] (9 bytes must be there). The R bit is kept in streamId's sign. */
export function readFrameHeader(buf: Buffer, at: number): FrameHeader {
  return {
    length: buf.readUIntBE(at, 3),
    type: buf[at + 3] as number,
    flags: buf[at + 4] as number,
    streamId: buf.readInt32BE(at + 5),
  };
}

// Flags each known type defines; others must be zero from a sane peer (we use it for resync only).
const DEFINED_FLAGS = [0x09, 0x2d, 0, 0, 0x01, 0x0c, 0x01, 0, 0, 0x04];
// Exact payload lengths (-1: variable).
const FIXED_LENGTH = [-1, -1, 5, 4, -1, -1, 8, -1, 4, -1];

/** Why this header cannot start a valid frame, or null. Unknown types are valid (ignored). */
export function headerError(h: FrameHeader, maxFrameSize: number): string | null {
  if (h.streamId < 0) return 'reserved bit set';
  if (h.length > maxFrameSize) return 'frame exceeds SETTINGS_MAX_FRAME_SIZE';
  if (h.type > 9) return null;
  const onStream0 = h.type === FrameType.SETTINGS || h.type === FrameType.PING || h.type === FrameType.GOAWAY;
  if (onStream0 !== (h.streamId === 0) && h.type !== FrameType.WINDOW_UPDATE) return 'frame on the wrong stream';
  const fixed = FIXED_LENGTH[h.type] as number;
  if (fixed >= 0 && h.length !== fixed) return 'bad frame length';
  if (h.type === FrameType.SETTINGS && (h.length % 6 !== 0 || ((h.flags & Flag.ACK) !== 0 && h.length !== 0))) return 'bad SETTINGS length';
  if (h.type === FrameType.GOAWAY && h.length < 8) return 'bad GOAWAY length';
  return null;
}

/** Stricter than headerError: what a resync accepts as a frame start in arbitrary bytes. */
function plausible(buf: Buffer, at: number, direction: Direction): boolean {
  const h = readFrameHeader(buf, at);
  if (h.type > 9 || headerError(h, 16_384) !== null) return false;
  if ((h.flags & ~(DEFINED_FLAGS[h.type] as number)) !== 0) return false;
  // client-initiated streams are odd; the server also answers on them (and pushes on even ones)
  if (direction === 'request' && h.streamId !== 0 && h.streamId % 2 === 0 && h.type !== FrameType.WINDOW_UPDATE) return false;
  return h.streamId < 1 << 24;
}

/**
 * The client preface, or the server's first SETTINGS frame: servers (Node, Go, grpc-js) send it
 * as soon as the connection is up, often before the preface arrives. The SETTINGS frame must be
 * whole, on stream 0, and list only defined settings (RFC 9113 §6.5.2, RFC 8441, RFC 9218).
 */
export function detect(bytes: Buffer, _portHint: number | null): boolean {
  const n = Math.min(bytes.length, PREFACE.length);
  if (n >= 4 && bytes.compare(PREFACE, 0, n, 0, n) === 0) return true;
  if (bytes.length < 9) return false;
  const h = readFrameHeader(bytes, 0);
  if (h.type !== FrameType.SETTINGS || h.flags !== 0 || h.streamId !== 0 || h.length % 6 !== 0) return false;
  if (h.length > 16 * 6 || bytes.length < 9 + h.length) return false;
  for (let at = 9; at < 9 + h.length; at += 6) {
    const id = bytes.readUInt16BE(at);
    if (id < 1 || id > 9 || id === 7) return false;
  }
  return true;
}

/** A frame start at or after `from`: the preface, or a plausible header followed by another. */
export function findFrameBoundary(direction: Direction, buf: Buffer, from: number): number {
  if (direction === 'request') {
    const p = buf.indexOf(PREFACE, from);
    if (p >= 0) return p;
  }
  for (let i = from; i + 9 <= buf.length; i++) {
    if (!plausible(buf, i, direction)) continue;
    const next = i + 9 + buf.readUIntBE(i, 3);
    if (next + 9 <= buf.length && !plausible(buf, next, direction)) continue;
    return i;
  }
  return -1;
}
