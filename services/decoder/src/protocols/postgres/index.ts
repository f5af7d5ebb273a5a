// PLACEHOLDER until the postgres parser lands: detects nothing, so no flow is routed here.
import type { Protocol } from '../protocol.js';

export const postgres: Protocol<never, null> = {
  name: 'postgres',
  portNames: ['postgres', 'postgresql', 'pg'],
  detect: () => false,
  newState: () => null,
  findFrameBoundary: () => -1,
  parseFrame: () => ({ kind: 'invalid', reason: 'postgres is not implemented yet' }),
  absorbGap: () => 0,
  abandon: () => null,
  stitch: () => ({ transactions: [], leftover: { requests: [], responses: [] }, orphanResponses: 0 }),
  describe: () => ({}),
};
