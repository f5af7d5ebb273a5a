// parseFrame / absorbGap / abandon for HTTP/1.x (see protocols/protocol.ts for the contract).
// A message head is parsed once, when complete; the body is then walked as bytes arrive and
// only counted. A response's framing depends on its request (HEAD, CONNECT), so requests record
// their method in the connection state and final responses take the oldest one.
import type { Direction, ParseResult } from '../protocol.js';
import { absorbBodyGap, stepBody } from './body.js';
import { requestFraming, responseFraming } from './framing.js';
import { parseHead, parsePartialHead } from './head.js';
import {
  HTTP1_LIMITS, newDirectionState, type Http1DirectionState, type Http1Message, type Http1State,
} from './types.js';

const NEEDS_MORE = { kind: 'needs-more-data', absorbed: 0 } as const;
const END = { kind: 'end-of-stream' } as const;

function remember(state: Http1State, method: string): void {
  if (state.awaiting.length >= HTTP1_LIMITS.maxAwaiting) state.awaiting.shift();
  state.awaiting.push(method);
}

/** The request a final response answers (interim 1xx responses answer none yet). */
function answered(state: Http1State, msg: Http1Message): string | undefined {
  return msg.statusCode >= 200 || msg.statusCode === 101 ? state.awaiting.shift() : state.awaiting[0];
}

/** Record a protocol switch: 101 to an Upgrade, or 2xx to CONNECT. */
function noteSwitch(state: Http1State, msg: Http1Message, method: string | undefined): void {
  if (msg.statusCode === 101) msg.switchTo = (msg.headers['upgrade'] ?? 'unknown').toLowerCase();
  else if (method === 'CONNECT' && msg.statusCode >= 200 && msg.statusCode < 300) msg.switchTo = 'tunnel';
  if (msg.switchTo !== null) state.switched = msg.switchTo;
}

export function parseFrame(direction: Direction, buf: Buffer, state: Http1State, atEnd: boolean): ParseResult<Http1Message> {
  if (state.switched !== null) return END;
  const d: Http1DirectionState = state[direction];
  let msg = d.msg;
  let pos = 0;
  if (msg === null) {
    if (buf.length === 0) return NEEDS_MORE;
    const head = parseHead(direction, buf, d.headScanFrom);
    if (head.kind === 'more') { d.headScanFrom = head.scanFrom; return NEEDS_MORE; }
    d.headScanFrom = 0;
    if (head.kind === 'invalid') return head;
    msg = head.msg;
    pos = msg.headBytes;
    let method: string | undefined;
    if (direction === 'request') {
      remember(state, msg.method);
      method = msg.method;
    } else {
      method = answered(state, msg);
      msg.interim = msg.statusCode < 200 && msg.statusCode !== 101;
      noteSwitch(state, msg, method);
    }
    const framing = direction === 'request' ? requestFraming(msg) : responseFraming(msg, method);
    if (framing.framing === 'invalid') return { kind: 'invalid', reason: framing.reason };
    msg.framing = framing.framing;
    if (framing.framing === 'none') return { kind: 'success', frame: msg, consumed: pos };
    d.msg = msg;
    d.remaining = framing.length;
    d.chunkPhase = 'size';
  }
  const step = stepBody(d, msg, buf, pos, atEnd);
  if (step.kind === 'invalid') return step;
  if (step.kind === 'more') return { kind: 'needs-more-data', absorbed: step.pos };
  state[direction] = newDirectionState();
  return { kind: 'success', frame: msg, consumed: step.pos };
}

export function absorbGap(direction: Direction, length: number, state: Http1State): number {
  const d = state[direction];
  return d.msg === null ? 0 : absorbBodyGap(d, d.msg, length);
}

export function abandon(direction: Direction, buf: Buffer, state: Http1State): Http1Message | null {
  const d = state[direction];
  state[direction] = newDirectionState();
  if (d.msg !== null) return d.msg; // cut short inside the body: the head is whole
  if (buf.length === 0 || state.switched !== null) return null;
  const msg = parsePartialHead(direction, buf);
  if (msg === null) return null;
  if (direction === 'request') remember(state, msg.method);
  else {
    msg.interim = msg.statusCode < 200 && msg.statusCode !== 101;
    answered(state, msg);
  }
  return msg;
}
