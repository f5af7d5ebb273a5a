// PLACEHOLDER until the http2 parser lands: detects nothing, so no flow is routed here.
import type { Protocol } from '../protocol.js';

export const http2: Protocol<never, null> = {
  name: 'http2',
  portNames: ['http2', 'grpc', 'grpc-web', 'h2c'],
  detect: () => false,
  newState: () => null,
  findFrameBoundary: () => -1,
  parseFrame: () => ({ kind: 'invalid', reason: 'http2 is not implemented yet' }),
  absorbGap: () => 0,
  abandon: () => null,
  stitch: () => ({ transactions: [], leftover: { requests: [], responses: [] }, orphanResponses: 0 }),
  describe: () => ({}),
};
