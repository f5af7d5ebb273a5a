// HTTP/1.0 and HTTP/1.1 (RFC 9112) as a Protocol: keep-alive, pipelining, Content-Length,
// chunked with trailers, close-delimited bodies, 1xx, HEAD/204/304, Upgrade and CONNECT.
import type { Protocol } from '../protocol.js';
import { detect, findFrameBoundary } from './boundary.js';
import { abandon, absorbGap, parseFrame } from './parse.js';
import { describe, stitch } from './stitch.js';
import { newHttp1State, type Http1Message, type Http1State } from './types.js';

export const http1: Protocol<Http1Message, Http1State> = {
  name: 'http',
  portNames: ['http', 'http1'],
  detect,
  newState: newHttp1State,
  findFrameBoundary,
  parseFrame,
  absorbGap,
  abandon,
  stitch,
  describe,
};

export type { Http1Message, Http1State } from './types.js';
export { HTTP1_LIMITS } from './types.js';
