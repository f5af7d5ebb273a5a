// How long a message body is (RFC 9112 §6): decided from the head and, for responses, from the
// request it answers (HEAD, CONNECT).
import type { BodyFraming, Http1Message } from './types.js';

export type Framing = { framing: BodyFraming; length: number } | { framing: 'invalid'; reason: string };

const NONE: Framing = { framing: 'none', length: 0 };
const CHUNKED: Framing = { framing: 'chunked', length: 0 };
const CLOSE: Framing = { framing: 'close', length: 0 };

/** Content-Length: digits, or a list of identical values ("12, 12"); -1 if invalid. */
export function parseContentLength(value: string): number {
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  let result = -1;
  for (const part of value.split(',')) {
    const v = part.trim();
    if (!/^[0-9]{1,15}$/.test(v)) return -1;
    const n = Number(v);
    if (result >= 0 && n !== result) return -1;
    result = n;
  }
  return result;
}

/** Is chunked the final transfer coding? */
function chunkedLast(te: string): boolean {
  const codings = te.split(',');
  return (codings[codings.length - 1] as string).trim().toLowerCase() === 'chunked';
}

function lengthFraming(value: string): Framing {
  const n = parseContentLength(value);
  if (n < 0) return { framing: 'invalid', reason: 'bad Content-Length' };
  return n === 0 ? NONE : { framing: 'length', length: n };
}

export function requestFraming(msg: Http1Message): Framing {
  const te = msg.headers['transfer-encoding'];
  if (te !== undefined) {
    // A request body must be chunked-terminated; anything else cannot be delimited (RFC 9112 §6.3).
    return chunkedLast(te) ? CHUNKED : { framing: 'invalid', reason: 'request Transfer-Encoding without chunked' };
  }
  const cl = msg.headers['content-length'];
  return cl === undefined ? NONE : lengthFraming(cl);
}

/** requestMethod: of the request this response answers, when known. */
export function responseFraming(msg: Http1Message, requestMethod: string | undefined): Framing {
  const code = msg.statusCode;
  if (requestMethod === 'HEAD' || code < 200 || code === 204 || code === 304) return NONE;
  if (requestMethod === 'CONNECT' && code < 300) return NONE;
  const te = msg.headers['transfer-encoding'];
  if (te !== undefined) return chunkedLast(te) ? CHUNKED : CLOSE;
  const cl = msg.headers['content-length'];
  return cl === undefined ? CLOSE : lengthFraming(cl);
}
