// Redis frames (RESP2 and RESP3) and per-connection parser state.
import type { Direction } from '../protocol.js';

export type ReplyType =
  | 'simple-string' | 'error' | 'integer' | 'bulk-string' | 'array' | 'null' | 'double' | 'boolean'
  | 'blob-error' | 'verbatim-string' | 'big-number' | 'map' | 'set' | 'attribute' | 'push';

/** RESP type byte → the name a Transaction carries. */
export const TYPE_NAMES: ReadonlyMap<number, ReplyType> = new Map<number, ReplyType>([
  [0x2b, 'simple-string'], [0x2d, 'error'], [0x3a, 'integer'], [0x24, 'bulk-string'], [0x2a, 'array'],
  [0x5f, 'null'], [0x2c, 'double'], [0x23, 'boolean'], [0x21, 'blob-error'], [0x3d, 'verbatim-string'],
  [0x28, 'big-number'], [0x25, 'map'], [0x7e, 'set'], [0x7c, 'attribute'], [0x3e, 'push'],
]);

/** One command or one reply. Argument values and reply payloads are counted, never kept. */
export interface RedisFrame {
  kind: Direction;
  /** request: upper-case command, with the subcommand of container commands ('CLIENT SETNAME') */
  command: string;
  /** request: elements after the command name(s) */
  argumentCount: number;
  /** request: sent as an inline (telnet-style) line */
  inline: boolean;
  /** reply: type of the reply (after any attribute), RESP2 nulls ($-1, *-1) are 'null' */
  replyType: ReplyType | null;
  /** reply: the error line of a top-level - or ! reply */
  error: string | null;
  /** reply: first element of a top-level array or push when a short string, lower-case
   * ('message', 'subscribe', ...): tells pub/sub traffic apart */
  head: string | null;
  /** reply: third element when an integer (the subscription count of a confirmation) */
  third: number | null;
  /** values of every level (the top one included) */
  elements: number;
  /** bulk payload bytes, uncaptured ones included */
  payloadBytes: number;
  /** attribute maps (RESP3 |) met in the reply */
  attributes: number;
  /** server pushes (pub/sub messages, tracking, RESP3 >) skipped since the previous reply */
  pushesBefore: number;
  /** false when cut short: fields may be missing */
  complete: boolean;
}

/** An aggregate being walked. attr: an attribute map, which is no value of its parent. */
export interface Level { remaining: number; index: number; attr: boolean }

export type CaptureTarget = 'command' | 'sub' | 'head' | 'error' | null;

/** Where one direction's walker is inside the frame in progress (bytes are never kept). */
export interface RespDirection {
  frame: RedisFrame | null;
  stack: Level[];
  attrDepth: number;
  /** inside a bulk value: payload bytes left, then its CRLF */
  inBulk: boolean;
  bulkLeft: number;
  /** of the CRLF after the payload (a capture gap may have covered some) */
  crlfLeft: number;
  /** the small string being captured from the current value (command name, error, ...) */
  capture: CaptureTarget;
  captured: string;
  capturedOver: boolean;
  /** request: the top-level element count and the candidate subcommand */
  topCount: number;
  sub: string;
}

/** What a request expects back: pub/sub commands get one confirmation per channel. */
export interface Awaiting {
  family: 'subscribe' | 'unsubscribe' | null;
  /** confirmations left (-1: unknown, UNSUBSCRIBE without channels: until the count is 0) */
  left: number;
  paired: boolean;
}

export interface RedisState {
  request: RespDirection;
  response: RespDirection;
  awaiting: Awaiting[];
  /** RESP2 subscribe mode: arrays starting with 'message' are pushes */
  subscribed: boolean;
  /** a RESP3-only reply was seen (HELLO 3): pub/sub messages are > pushes, arrays are replies */
  resp3: boolean;
  pushes: number;
}

export const REDIS_LIMITS = {
  /** a bulk string (proto-max-bulk-len default) */
  maxBulkBytes: 512 * 1024 * 1024,
  /** elements of one aggregate (map and attribute: pairs × 2) */
  maxAggregateElements: 16 * 1024 * 1024,
  maxDepth: 32,
  /** a simple-string / error / inline line (PROTO_INLINE_MAX_SIZE) */
  maxLineBytes: 64 * 1024,
  maxCommandChars: 64,
  maxErrorChars: 512,
  maxHeadChars: 16,
  /** requests remembered for replies not yet seen (pipelining depth) */
  maxAwaiting: 1024,
} as const;

export function newFrame(kind: Direction): RedisFrame {
  return {
    kind, command: '', argumentCount: 0, inline: false, replyType: null, error: null, head: null, third: null,
    elements: 0, payloadBytes: 0, attributes: 0, pushesBefore: 0, complete: true,
  };
}

export function newDirection(): RespDirection {
  return {
    frame: null, stack: [], attrDepth: 0, inBulk: false, bulkLeft: 0, crlfLeft: 0, capture: null, captured: '',
    capturedOver: false, topCount: 0, sub: '',
  };
}

export function newRedisState(): RedisState {
  return { request: newDirection(), response: newDirection(), awaiting: [], subscribed: false, resp3: false, pushes: 0 };
}
