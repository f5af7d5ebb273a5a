// HTTP/2 (RFC 9113) with HPACK (RFC 7541) as a Protocol, and gRPC on it: prior-knowledge
// connections (client preface, then frames), interleaved streams paired by stream id.
import type { Protocol } from '../protocol.js';
import { describe } from './describe.js';
import { detect, findFrameBoundary } from './frame-header.js';
import { abandon, absorbGap, parseFrame } from './parse.js';
import { stitch } from './stitch.js';
import { newHttp2State, type Http2Frame, type Http2State } from './types.js';

export const http2: Protocol<Http2Frame, Http2State> = {
  name: 'http2',
  portNames: ['http2', 'grpc', 'grpc-web', 'h2c'],
  detect,
  newState: newHttp2State,
  findFrameBoundary,
  parseFrame,
  absorbGap,
  abandon,
  stitch,
  describe,
};

export type { Http2Counters, Http2Frame, Http2Message, Http2State } from './types.js';
export { HTTP2_LIMITS } from './types.js';
