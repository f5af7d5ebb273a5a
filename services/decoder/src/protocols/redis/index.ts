// PLACEHOLDER until the redis parser lands: detects nothing, so no flow is routed here.
import type { Protocol } from '../protocol.js';

export const redis: Protocol<never, null> = {
  name: 'redis',
  portNames: ['redis'],
  detect: () => false,
  newState: () => null,
  findFrameBoundary: () => -1,
  parseFrame: () => ({ kind: 'invalid', reason: 'redis is not implemented yet' }),
  absorbGap: () => 0,
  abandon: () => null,
  stitch: () => ({ transactions: [], leftover: { requests: [], responses: [] }, orphanResponses: 0 }),
  describe: () => ({}),
};
