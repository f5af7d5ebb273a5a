// Redis RESP2 and RESP3 as a Protocol: command arrays and inline commands, every reply type,
// pipelining, pub/sub (pushes counted, not paired). Argument values are never kept.
import type { Protocol } from '../protocol.js';
import { detect, findFrameBoundary } from './boundary.js';
import { abandon, absorbGap, parseFrame } from './parse.js';
import { describe, stitch } from './stitch.js';
import { newRedisState, type RedisFrame, type RedisState } from './types.js';

export const redis: Protocol<RedisFrame, RedisState> = {
  name: 'redis',
  portNames: ['redis'],
  detect,
  newState: newRedisState,
  findFrameBoundary,
  parseFrame,
  absorbGap,
  abandon,
  stitch,
  describe,
};

export type { RedisFrame, RedisState, ReplyType } from './types.js';
export { REDIS_LIMITS } from './types.js';
