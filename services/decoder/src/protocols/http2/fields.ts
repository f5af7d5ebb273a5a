// Header fields of a decoded block into an Http2Message: pseudo-header fields, gRPC status
// fields, and the same allowlist and redaction as HTTP/1 (http1/headers.ts decides which).
import { REDACTED, headerPolicy } from '../http1/headers.js';
import type { FieldSink } from './hpack.js';
import { HTTP2_LIMITS, type Http2Message } from './types.js';

// headerPolicy() per field name, memoised: names repeat on every stream. Bounded.
const POLICY = new Map<string, 'keep' | 'redact' | null>();
function policy(name: string): 'keep' | 'redact' | null {
  let p = POLICY.get(name);
  if (p === undefined) {
    p = headerPolicy(name);
    if (POLICY.size < 1024) POLICY.set(name, p);
  }
  return p;
}

const cut = (v: string): string => (v.length > HTTP2_LIMITS.maxValueChars ? v.slice(0, HTTP2_LIMITS.maxValueChars) : v);

/** A FieldSink writing into msg (reused: set .msg before each block). */
export class MessageSink implements FieldSink {
  msg: Http2Message | null = null;
  unknownFields = 0;

  field(name: string, value: string): void {
    const msg = this.msg;
    if (msg === null) return; // a block decoded only to keep the HPACK table in step
    if (name.charCodeAt(0) === 0x3a) { // ':'
      switch (name) {
        case ':method': msg.method = cut(value); break;
        case ':path': msg.path = value.slice(0, 16 * 1024); break;
        case ':authority': msg.authority = cut(value); break;
        case ':status': {
          const s = Number(value);
          if (Number.isInteger(s) && s >= 100 && s <= 999 && (msg.status === 0 || msg.status < 200)) msg.status = s;
          break;
        }
        default: break;
      }
      return;
    }
    if (name === 'content-type') msg.contentType = cut(value);
    else if (name === 'grpc-status') {
      const s = Number(value);
      msg.grpcStatus = Number.isInteger(s) && s >= 0 ? s : null;
    } else if (name === 'grpc-message') msg.grpcMessage = cut(value);
    const p = policy(name);
    if (p === null) return;
    const prior = msg.headers[name];
    msg.headers[name] = p === 'redact' ? REDACTED : prior === undefined ? cut(value) : cut(`${prior}, ${value}`);
  }

  unknown(): void {
    this.unknownFields++;
    if (this.msg !== null) this.msg.headersPartial = true;
  }
}
