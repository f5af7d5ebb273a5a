// Start lines, validated as far as the bytes go so that garbage is rejected at once rather than
// buffered up to the head bound, while every prefix of a valid line is "more".
//   request-line = method SP request-target SP HTTP-version CRLF
//   status-line  = HTTP-version SP 3DIGIT [SP reason-phrase] CRLF
//   HTTP-version = "HTTP/1.0" / "HTTP/1.1"   (HTTP/0.9 and 2 are not this protocol)
import { HTTP1_LIMITS } from './types.js';

export type LineResult<T> = ({ kind: 'ok'; next: number } & T) | { kind: 'more' } | { kind: 'invalid'; reason: string };
export type RequestLine = LineResult<{ method: string; target: string; version: '1.0' | '1.1' }>;
export type StatusLine = LineResult<{ statusCode: number; reason: string; version: '1.0' | '1.1' }>;

const MORE = { kind: 'more' } as const;
const VERSION_PREFIX = Buffer.from('HTTP/1.', 'latin1');

/** Method characters: upper-case tchar subset real methods use (GET, M-SEARCH, PROPFIND...). */
function isMethodChar(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || b === 0x2d || b === 0x5f;
}

/** 'yes' when buf[at..] starts with "HTTP/1.0" or "HTTP/1.1", 'more' for a prefix of one, else 'no'. */
function matchVersion(buf: Buffer, at: number, limit: number): 'yes' | 'more' | 'no' {
  for (let k = 0; k < 7; k++) {
    if (at + k >= limit) return 'more';
    if (buf[at + k] !== VERSION_PREFIX[k]) return 'no';
  }
  if (at + 7 >= limit) return 'more';
  const minor = buf[at + 7];
  return minor === 0x30 || minor === 0x31 ? 'yes' : 'no';
}

/** CRLF at `at`: 'yes' | 'more' | 'no'. */
function matchCrlf(buf: Buffer, at: number, limit: number): 'yes' | 'more' | 'no' {
  if (at >= limit) return 'more';
  if (buf[at] !== 0x0d) return 'no';
  if (at + 1 >= limit) return 'more';
  return buf[at + 1] === 0x0a ? 'yes' : 'no';
}

export function parseRequestLine(buf: Buffer, limit: number): RequestLine {
  let i = 0;
  while (i < limit && isMethodChar(buf[i] as number)) i++;
  if (i > HTTP1_LIMITS.maxMethodLength) return { kind: 'invalid', reason: 'method too long' };
  if (i === limit) return MORE;
  if (i === 0 || buf[i] !== 0x20) return { kind: 'invalid', reason: 'bad method' };
  const ts = i + 1;
  let j = ts;
  while (j < limit && (buf[j] as number) > 0x20 && buf[j] !== 0x7f) j++;
  if (j - ts > HTTP1_LIMITS.maxTargetBytes) return { kind: 'invalid', reason: 'request-target too long' };
  if (j === limit) return MORE;
  if (j === ts || buf[j] !== 0x20) return { kind: 'invalid', reason: 'bad request-target' };
  const v = matchVersion(buf, j + 1, limit);
  if (v !== 'yes') return v === 'more' ? MORE : { kind: 'invalid', reason: 'bad HTTP version' };
  const end = matchCrlf(buf, j + 9, limit);
  if (end !== 'yes') return end === 'more' ? MORE : { kind: 'invalid', reason: 'bad request line end' };
  return {
    kind: 'ok',
    next: j + 11,
    method: buf.toString('latin1', 0, i),
    target: buf.toString('latin1', ts, j),
    version: buf[j + 8] === 0x31 ? '1.1' : '1.0',
  };
}

export function parseStatusLine(buf: Buffer, limit: number): StatusLine {
  const v = matchVersion(buf, 0, limit);
  if (v !== 'yes') return v === 'more' ? MORE : { kind: 'invalid', reason: 'bad HTTP version' };
  if (8 >= limit) return MORE;
  if (buf[8] !== 0x20) return { kind: 'invalid', reason: 'bad status line' };
  let code = 0;
  for (let k = 9; k < 12; k++) {
    if (k >= limit) return MORE;
    const d = (buf[k] as number) - 0x30;
    if (d < 0 || d > 9) return { kind: 'invalid', reason: 'bad status code' };
    code = code * 10 + d;
  }
  if (code < 100) return { kind: 'invalid', reason: 'bad status code' };
  if (12 >= limit) return MORE;
  let rs = 12;
  if (buf[12] === 0x20) rs = 13;
  else if (buf[12] !== 0x0d) return { kind: 'invalid', reason: 'bad status line' };
  // The reason phrase may hold anything but CR and LF (obs-text included).
  const cr = buf.indexOf(0x0d, rs);
  const lf = buf.indexOf(0x0a, rs);
  if (lf >= 0 && lf < limit && (cr < 0 || lf < cr)) return { kind: 'invalid', reason: 'bad reason phrase' };
  if (cr < 0 || cr >= limit) return MORE;
  const end = matchCrlf(buf, cr, limit);
  if (end !== 'yes') return end === 'more' ? MORE : { kind: 'invalid', reason: 'bad status line end' };
  return {
    kind: 'ok',
    next: cr + 2,
    statusCode: code,
    reason: buf.toString('latin1', rs, cr),
    version: buf[7] === 0x31 ? '1.1' : '1.0',
  };
}
