// PLACEHOLDER until the dns parser lands: detects nothing, so no flow is routed here.
import type { Protocol } from '../protocol.js';

export const dns: Protocol<never, null> = {
  name: 'dns',
  portNames: ['dns', 'dns-tcp', 'udp-dns'],
  detect: () => false,
  newState: () => null,
  findFrameBoundary: () => -1,
  parseFrame: () => ({ kind: 'invalid', reason: 'dns is not implemented yet' }),
  absorbGap: () => 0,
  abandon: () => null,
  stitch: () => ({ transactions: [], leftover: { requests: [], responses: [] }, orphanResponses: 0 }),
  describe: () => ({}),
};
