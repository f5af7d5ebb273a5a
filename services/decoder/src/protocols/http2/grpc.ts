// gRPC on HTTP/2: messages are length-prefixed (1 flag byte + 4-byte big-endian length) inside
// the DATA payload, split across DATA frames at any byte. Only the prefixes are read to count
// messages; message bytes are skipped, never stored.

export interface GrpcCounter {
  /** message prefixes counted */
  messages: number;
  /** bytes of the current message still to skip */
  skip: number;
  /** bytes of the 5-byte prefix seen so far, and the length they spell */
  prefixBytes: number;
  length: number;
  flags: number;
}

export function newGrpcCounter(): GrpcCounter {
  return { messages: 0, skip: 0, prefixBytes: 0, length: 0, flags: 0 };
}

/** Walk DATA payload bytes buf[start, end). */
export function countGrpc(c: GrpcCounter, buf: Buffer, start: number, end: number): void {
  let p = start;
  while (p < end) {
    if (c.skip > 0) {
      const n = Math.min(c.skip, end - p);
      c.skip -= n;
      p += n;
      continue;
    }
    const b = buf[p++] as number;
    if (c.prefixBytes === 0) { c.flags = b; c.length = 0; } else c.length = c.length * 256 + b;
    if (++c.prefixBytes === 5) {
      c.prefixBytes = 0;
      c.skip = c.length;
      // gRPC-Web carries trailers as a message with flag 0x80: not an application message
      if ((c.flags & 0x80) === 0) c.messages++;
    }
  }
}

/** Payload bytes lost in a gap: the walk continues only if they fall inside a message body. */
export function skipGrpc(c: GrpcCounter, n: number): void {
  if (c.skip >= n && c.prefixBytes === 0) c.skip -= n;
  else { c.skip = Number.POSITIVE_INFINITY; } // lost a prefix: stop counting (kept as a lower bound)
}

export function isGrpc(contentType: string | null): boolean {
  return contentType !== null && /^application\/grpc(?!-web-text)/i.test(contentType);
}

/** `/pkg.Service/Method` → service and method ('' when the path has another shape). */
export function grpcTarget(path: string): { service: string; method: string } {
  const m = /^\/([^/]+)\/([^/?]+)$/.exec(path);
  return m === null ? { service: '', method: '' } : { service: m[1] as string, method: m[2] as string };
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
export function decodeGrpcMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
