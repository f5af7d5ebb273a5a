// PLACEHOLDER until the kafka parser lands: detects nothing, so no flow is routed here.
import type { Protocol } from '../protocol.js';

export const kafka: Protocol<never, null> = {
  name: 'kafka',
  portNames: ['kafka'],
  detect: () => false,
  newState: () => null,
  findFrameBoundary: () => -1,
  parseFrame: () => ({ kind: 'invalid', reason: 'kafka is not implemented yet' }),
  absorbGap: () => 0,
  abandon: () => null,
  stitch: () => ({ transactions: [], leftover: { requests: [], responses: [] }, orphanResponses: 0 }),
  describe: () => ({}),
};
