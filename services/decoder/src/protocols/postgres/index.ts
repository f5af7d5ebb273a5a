// PostgreSQL frontend/backend protocol v3 as a Protocol: startup (SSLRequest/GSSENCRequest
// answered in clear, StartupMessage, authentication), simple and extended query cycles, named
// prepared statements, COPY and notices passed over. One transaction per cycle: see README.md.
import type { Protocol } from '../protocol.js';
import { detect, findFrameBoundary } from './boundary.js';
import { abandon, absorbGap, parseFrame } from './parse.js';
import { describe, stitch } from './stitch.js';
import { newPgState, type PgFrame, type PgState } from './types.js';

export const postgres: Protocol<PgFrame, PgState> = {
  name: 'postgres',
  portNames: ['postgres', 'postgresql', 'pg'],
  detect,
  newState: newPgState,
  findFrameBoundary,
  parseFrame,
  absorbGap,
  abandon,
  stitch,
  describe,
};

export type { PgFrame, PgState } from './types.js';
export { PG_LIMITS } from './types.js';
