// Walking a body without keeping it: Content-Length bodies, chunked bodies with trailers, and
// bodies that end when the connection closes. Each step consumes what it can and says whether
// the body is done. The chunked grammar (RFC 9112 §7.1):
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   last-chunk   = 1*("0") [ chunk-ext ] CRLF
import { addFieldLine } from './headers.js';
import { HTTP1_LIMITS, type Http1DirectionState, type Http1Message } from './types.js';

export type BodyStep = { kind: 'done'; pos: number } | { kind: 'more'; pos: number } | { kind: 'invalid'; reason: string };

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** Advance through buf[pos..]; atEnd: the connection closed (ends close-delimited bodies). */
export function stepBody(d: Http1DirectionState, msg: Http1Message, buf: Buffer, pos: number, atEnd: boolean): BodyStep {
  if (msg.framing === 'length') {
    const take = Math.min(d.remaining, buf.length - pos);
    d.remaining -= take;
    msg.bodyBytes += take;
    return d.remaining === 0 ? { kind: 'done', pos: pos + take } : { kind: 'more', pos: pos + take };
  }
  if (msg.framing === 'close') {
    msg.bodyBytes += buf.length - pos;
    return atEnd ? { kind: 'done', pos: buf.length } : { kind: 'more', pos: buf.length };
  }
  return stepChunked(d, msg, buf, pos);
}

function stepChunked(d: Http1DirectionState, msg: Http1Message, buf: Buffer, start: number): BodyStep {
  let pos = start;
  for (;;) {
    switch (d.chunkPhase) {
      case 'size': {
        const eol = buf.indexOf(0x0a, pos);
        if (eol < 0) {
          return buf.length - pos > HTTP1_LIMITS.maxChunkLineBytes
            ? { kind: 'invalid', reason: 'chunk-size line too long' } : { kind: 'more', pos };
        }
        if (eol - pos > HTTP1_LIMITS.maxChunkLineBytes || buf[eol - 1] !== 0x0d) {
          return { kind: 'invalid', reason: 'bad chunk-size line' };
        }
        let size = 0;
        let i = pos;
        for (; i < eol - 1; i++) {
          const h = hexValue(buf[i] as number);
          if (h < 0) break;
          size = size * 16 + h;
        }
        // 13 hex digits keep the size an exact number; extensions after ';' are ignored.
        const b = buf[i];
        if (i === pos || i - pos > 13 || (i < eol - 1 && b !== 0x3b && b !== 0x20 && b !== 0x09)) {
          return { kind: 'invalid', reason: 'bad chunk size' };
        }
        pos = eol + 1;
        if (size === 0) { d.chunkPhase = 'trailers'; d.trailerBytes = 0; }
        else { d.chunkPhase = 'data'; d.remaining = size; }
        break;
      }
      case 'data': {
        const take = Math.min(d.remaining, buf.length - pos);
        d.remaining -= take;
        msg.bodyBytes += take;
        pos += take;
        if (d.remaining > 0) return { kind: 'more', pos };
        d.chunkPhase = 'data-crlf';
        d.remaining = 2;
        break;
      }
      case 'data-crlf': {
        // remaining = CRLF bytes still expected (a gap may have absorbed some).
        while (d.remaining > 0) {
          if (pos >= buf.length) return { kind: 'more', pos };
          if (buf[pos] !== (d.remaining === 2 ? 0x0d : 0x0a)) return { kind: 'invalid', reason: 'chunk data not followed by CRLF' };
          pos++;
          d.remaining--;
        }
        d.chunkPhase = 'size';
        break;
      }
      case 'trailers': {
        const eol = buf.indexOf(0x0a, pos);
        if (eol < 0) {
          return d.trailerBytes + buf.length - pos > HTTP1_LIMITS.maxTrailerBytes
            ? { kind: 'invalid', reason: 'trailer section too long' } : { kind: 'more', pos };
        }
        if (buf[eol - 1] !== 0x0d || eol - 1 < pos) return { kind: 'invalid', reason: 'bad trailer line' };
        d.trailerBytes += eol + 1 - pos;
        if (d.trailerBytes > HTTP1_LIMITS.maxTrailerBytes) return { kind: 'invalid', reason: 'trailer section too long' };
        if (eol - 1 === pos) return { kind: 'done', pos: eol + 1 };
        // Allowlisted trailer fields (grpc-status, ...) join the message's fields.
        if (!addFieldLine(buf, pos, eol - 1, msg.headers, HTTP1_LIMITS.maxHeaderValueChars)) {
          return { kind: 'invalid', reason: 'bad trailer field' };
        }
        pos = eol + 1;
        break;
      }
    }
  }
}

/** A hole of `length` bytes in the body: how many of them the body accounts for. */
export function absorbBodyGap(d: Http1DirectionState, msg: Http1Message, length: number): number {
  if (msg.framing === 'close') { msg.bodyBytes += length; return length; }
  if (msg.framing === 'length' || (msg.framing === 'chunked' && d.chunkPhase === 'data')) {
    const n = Math.min(length, d.remaining);
    d.remaining -= n;
    msg.bodyBytes += n;
    if (msg.framing === 'chunked' && d.remaining === 0) { d.chunkPhase = 'data-crlf'; d.remaining = 2; }
    return n;
  }
  if (msg.framing === 'chunked' && d.chunkPhase === 'data-crlf') {
    const n = Math.min(length, d.remaining);
    d.remaining -= n;
    if (d.remaining === 0) d.chunkPhase = 'size';
    return n;
  }
  return 0; // chunk-size lines and trailers are needed to go on
}
