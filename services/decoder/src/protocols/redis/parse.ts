// parseFrame / absorbGap / abandon for Redis (see protocols/protocol.ts for the contract).
// Every byte a step walks is absorbed at once (the walker keeps what it needs in the state), so
// bulk payloads and huge aggregates never sit in the driver's buffer. Replies come in request
// order; pub/sub turns that upside down, so the requests awaiting replies are remembered here:
// SUBSCRIBE a b is confirmed twice, UNSUBSCRIBE without channels until the count drops to 0,
// and pushes (RESP3 >, RESP2 'message' arrays in subscribe mode) answer no request at all.
import type { Direction, ParseResult } from '../protocol.js';
import { inlineSub, parseInline } from './inline.js';
import { walk } from './resp.js';
import {
  REDIS_LIMITS, newDirection, newFrame, type Awaiting, type RedisFrame, type RedisState, type ReplyType, type RespDirection,
} from './types.js';

/** Commands whose first argument is a subcommand: the pair names the operation. */
const CONTAINERS = new Set([
  'ACL', 'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'DEBUG', 'FUNCTION', 'LATENCY', 'MEMORY', 'MODULE',
  'OBJECT', 'PUBSUB', 'SCRIPT', 'SLOWLOG', 'XGROUP', 'XINFO',
]);
const SUBSCRIBE = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);
const UNSUBSCRIBE = new Set(['UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE']);
const CONFIRM: ReadonlyMap<string, 'subscribe' | 'unsubscribe'> = new Map([
  ['subscribe', 'subscribe'], ['psubscribe', 'subscribe'], ['ssubscribe', 'subscribe'],
  ['unsubscribe', 'unsubscribe'], ['punsubscribe', 'unsubscribe'], ['sunsubscribe', 'unsubscribe'],
]);
const MESSAGES = new Set(['message', 'pmessage', 'smessage']);
const RESP3_ONLY = new Set<ReplyType>(['map', 'set', 'push', 'double', 'boolean', 'big-number', 'verbatim-string', 'blob-error']);

const more = (absorbed: number): ParseResult<RedisFrame> => ({ kind: 'needs-more-data', absorbed });

/** Name the request and remember what it expects back. */
function finishRequest(state: RedisState, f: RedisFrame, total: number, sub: string): void {
  const named = sub !== '' && CONTAINERS.has(f.command);
  if (named) f.command = `${f.command} ${sub}`;
  f.argumentCount = Math.max(0, total - (named ? 2 : 1));
  let a: Awaiting = { family: null, left: 1, paired: false };
  if (SUBSCRIBE.has(f.command)) { a = { family: 'subscribe', left: Math.max(1, f.argumentCount), paired: false }; state.subscribed = true; }
  else if (UNSUBSCRIBE.has(f.command)) a = { family: 'unsubscribe', left: f.argumentCount > 0 ? f.argumentCount : -1, paired: false };
  else if (f.command === 'RESET') state.subscribed = false;
  if (state.awaiting.length >= REDIS_LIMITS.maxAwaiting) state.awaiting.shift();
  state.awaiting.push(a);
}

/** A whole reply: the request's, a further confirmation, or a push. true: emit it. */
function finishReply(state: RedisState, f: RedisFrame): boolean {
  if (f.replyType !== null && RESP3_ONLY.has(f.replyType)) state.resp3 = true;
  const aggregate = f.replyType === 'array' || f.replyType === 'push';
  const confirm = aggregate && f.head !== null ? CONFIRM.get(f.head) : undefined;
  let front = state.awaiting[0];
  if (confirm !== undefined && (f.replyType === 'push' || (state.subscribed && !state.resp3) || front?.family === confirm)) {
    if (confirm === 'unsubscribe' && f.third === 0) state.subscribed = false;
    if (front === undefined || front.family !== confirm) { state.pushes++; return false; } // nobody asked
    const first = !front.paired;
    front.paired = true;
    if (front.left > 0) front.left--;
    if (front.left === 0 || (front.left < 0 && f.third === 0)) state.awaiting.shift();
    if (!first) { state.pushes++; return false; } // the 2nd, 3rd, ... channel of one command
  } else if (f.replyType === 'push' || (f.replyType === 'array' && state.subscribed && !state.resp3 && f.head !== null && MESSAGES.has(f.head))) {
    state.pushes++;
    return false;
  } else {
    // An UNSUBSCRIBE of unknown reach is over once something else is answered.
    if (front !== undefined && front.paired && front.left < 0) { state.awaiting.shift(); front = state.awaiting[0]; }
    if (front !== undefined) state.awaiting.shift();
  }
  f.pushesBefore = state.pushes;
  state.pushes = 0;
  return true;
}

function startFrame(direction: Direction, d: RespDirection): RedisFrame {
  const f = newFrame(direction);
  d.frame = f;
  return f;
}

export function parseFrame(direction: Direction, buf: Buffer, state: RedisState, _atEnd: boolean): ParseResult<RedisFrame> {
  const d = state[direction];
  if (d.frame === null) {
    if (buf.length === 0) return more(0);
    if (direction === 'request' && buf[0] !== 0x2a) {
      const line = parseInline(buf);
      if (line.kind === 'more') return more(0);
      if (line.kind === 'invalid') return line;
      if (line.kind === 'empty') return { kind: 'ignored', consumed: line.consumed };
      const f = newFrame('request');
      f.inline = true;
      f.command = line.name;
      finishRequest(state, f, line.argc + 1, inlineSub(buf, line.consumed));
      return { kind: 'success', frame: f, consumed: line.consumed };
    }
    startFrame(direction, d);
  }
  const f = d.frame as RedisFrame;
  const step = walk(direction, d, buf, 0);
  if (step.kind === 'invalid') return step;
  if (step.kind === 'more') return more(step.pos);
  const topCount = d.topCount;
  const sub = d.sub;
  state[direction] = newDirection();
  if (direction === 'request') {
    // *0 and *-1 are skipped by the server too.
    if (f.command === '') return { kind: 'ignored', consumed: step.pos };
    finishRequest(state, f, topCount, sub);
    return { kind: 'success', frame: f, consumed: step.pos };
  }
  return finishReply(state, f) ? { kind: 'success', frame: f, consumed: step.pos } : { kind: 'ignored', consumed: step.pos };
}

export function absorbGap(direction: Direction, length: number, state: RedisState): number {
  // Only a bulk payload and its CRLF can be missing without losing the framing: their length
  // is known. The walker completes the value on the next call (maybe with no bytes).
  const d = state[direction];
  if (d.frame === null || !d.inBulk) return 0;
  const n = Math.min(length, d.bulkLeft);
  d.bulkLeft -= n;
  d.frame.payloadBytes += n;
  if (n > 0 && d.capture !== null) d.capturedOver = true; // the kept text has a hole
  const crlf = d.bulkLeft === 0 ? Math.min(length - n, d.crlfLeft) : 0;
  d.crlfLeft -= crlf;
  return n + crlf;
}

export function abandon(direction: Direction, _buf: Buffer, state: RedisState): RedisFrame | null {
  const d = state[direction];
  state[direction] = newDirection();
  const f = d.frame;
  if (f === null) return null;
  f.complete = false;
  if (direction === 'request') {
    if (f.command === '') return null; // not even the name: nothing to report
    finishRequest(state, f, d.topCount, d.sub);
    return f;
  }
  if (f.replyType === 'push') { state.pushes++; return null; }
  if (state.awaiting.length > 0) state.awaiting.shift();
  f.pushesBefore = state.pushes;
  state.pushes = 0;
  return f;
}
