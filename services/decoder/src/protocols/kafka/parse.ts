// parseFrame / absorbGap / abandon for Kafka (see protocols/protocol.ts for the contract).
// The size prefix frames every message, so it is authoritative: once a header is read, a body
// whose fields do not parse is noted and walked over, never a reason to resync. A message's
// head (header + the body fields we record, ≤ maxHeadBytes) is parsed once it is complete;
// the rest of the message is walked as bytes arrive (Produce record batches counted) and never
// kept. Responses carry only a correlation id: the request with that id, remembered in the
// connection state, says which API (and so which header and body layout) they answer.
import type { Direction, ParseResult } from '../protocol.js';
import { API, responseHasTaggedFields } from './apis.js';
import { MIN_REQUEST_SIZE, MIN_RESPONSE_SIZE, readRequestHeader } from './header.js';
import { absorbProduceGap, MAX_PRODUCE_VERSION, readProduceHead, stepProduce } from './produce.js';
import { Reader } from './reader.js';
import { readRequestBody } from './request-body.js';
import { readResponseError } from './response-body.js';
import {
  KAFKA_LIMITS, newDirectionState, newMessage, type KafkaMessage, type KafkaState, type ProduceWalk,
} from './types.js';

const NEEDS_MORE = { kind: 'needs-more-data', absorbed: 0 } as const;
/** Header sanity beyond what the grammar says: api keys and versions are small numbers. */
const MAX_API_KEY = 127;
const MAX_API_VERSION = 63;
const MAX_ERROR_CODE = 1000;

type Head = { kind: 'more' } | { kind: 'invalid'; reason: string } | { kind: 'ok'; msg: KafkaMessage; pos: number; produce: ProduceWalk | null };

/** How a body read ended: the fields are in, or a note says why not. */
function bodyOutcome(r: Reader, msg: KafkaMessage, what: string): 'ok' | 'more' {
  if (r.ok) return 'ok';
  if (r.short && !r.overrun && !r.capped) return 'more';
  msg.notes.push(r.capped ? `${what}: fields past the first ${KAFKA_LIMITS.maxHeadBytes} bytes not read`
    : `${what}: body does not parse (${r.bad ?? 'fields overrun the frame'}); walked over`);
  return 'ok';
}

function requestHead(buf: Buffer, size: number): Head {
  const r = new Reader(buf, 4, 4 + size, 4 + KAFKA_LIMITS.maxHeadBytes);
  const msg = readRequestHeader(r, size);
  if (msg === null) {
    if (r.bad !== null || r.overrun || r.capped) return { kind: 'invalid', reason: r.bad ?? 'request header overruns the frame' };
    return { kind: 'more' };
  }
  const key = msg.apiKey as number;
  const v = msg.apiVersion as number;
  if (key > MAX_API_KEY || v > MAX_API_VERSION) return { kind: 'invalid', reason: `implausible api key ${key} v${v}` };
  const what = `request ${key} v${v}`;
  const headerEnd = r.pos;
  if (key === API.Produce && v <= MAX_PRODUCE_VERSION) {
    const produce = readProduceHead(r, msg);
    if (produce !== null) return { kind: 'ok', msg, pos: r.pos, produce };
    if (bodyOutcome(r, msg, what) === 'more') return { kind: 'more' };
    return { kind: 'ok', msg, pos: headerEnd, produce: null };
  }
  // Other requests are small: parse their body once it is whole (or the budget is), not again
  // for every segment of it.
  if (buf.length < Math.min(4 + size, 4 + KAFKA_LIMITS.maxHeadBytes)) return { kind: 'more' };
  readRequestBody(r, msg);
  if (bodyOutcome(r, msg, what) === 'more') return { kind: 'more' };
  return { kind: 'ok', msg, pos: r.ok ? r.pos : headerEnd, produce: null };
}

function responseHead(buf: Buffer, size: number, state: KafkaState): Head {
  const r = new Reader(buf, 4, 4 + size, 4 + KAFKA_LIMITS.maxHeadBytes);
  const msg = newMessage('response', size, r.int32());
  if (!r.ok) return { kind: 'more' };
  const request = state.inFlight.get(msg.correlationId);
  if (request === undefined) {
    // A response header is only a correlation id: one that answers no request in flight is
    // taken for a false start (resync goes on), unless no request was seen to check it with.
    if (state.inFlight.size > 0) return { kind: 'invalid', reason: `correlation id ${msg.correlationId} answers no request in flight` };
    msg.notes.push('request not seen: response body not parsed');
    return { kind: 'ok', msg, pos: r.pos, produce: null };
  }
  msg.apiKey = request.apiKey;
  msg.apiVersion = request.apiVersion;
  const headerEnd = r.pos;
  if (responseHasTaggedFields(request.apiKey, request.apiVersion)) r.taggedFields();
  const code = readResponseError(r, request.apiKey, request.apiVersion);
  if (bodyOutcome(r, msg, `response ${request.apiKey} v${request.apiVersion}`) === 'more') return { kind: 'more' };
  // Error codes are small (-1 UNKNOWN_SERVER_ERROR, then 1 to ~130 today): a value far outside
  // is not a response but a false start.
  if (r.ok && code !== null && (code < -1 || code > MAX_ERROR_CODE)) return { kind: 'invalid', reason: `implausible error code ${code}` };
  if (r.ok) msg.errorCode = code;
  return { kind: 'ok', msg, pos: r.ok ? r.pos : headerEnd, produce: null };
}

function parseHead(direction: Direction, buf: Buffer, state: KafkaState): Head {
  if (buf.length < 4) return { kind: 'more' };
  const size = buf.readInt32BE(0);
  const min = direction === 'request' ? MIN_REQUEST_SIZE : MIN_RESPONSE_SIZE;
  if (size < min || size > KAFKA_LIMITS.maxFrameBytes) return { kind: 'invalid', reason: `implausible message size ${size}` };
  return direction === 'request' ? requestHead(buf, size) : responseHead(buf, size, state);
}

/** A request's response will need its api key and version; bounded, oldest dropped first. */
function remember(state: KafkaState, msg: KafkaMessage): void {
  if (!msg.expectsResponse) return;
  state.inFlight.delete(msg.correlationId);
  if (state.inFlight.size >= KAFKA_LIMITS.maxInFlight) {
    state.inFlight.delete(state.inFlight.keys().next().value as number);
    state.inFlightDropped++;
  }
  state.inFlight.set(msg.correlationId, { apiKey: msg.apiKey as number, apiVersion: msg.apiVersion as number });
}

function started(direction: Direction, msg: KafkaMessage, state: KafkaState): void {
  if (direction === 'request') remember(state, msg);
  else state.inFlight.delete(msg.correlationId);
}

export function parseFrame(direction: Direction, buf: Buffer, state: KafkaState, _atEnd: boolean): ParseResult<KafkaMessage> {
  const d = state[direction];
  let pos = 0;
  if (d.msg === null) {
    const head = parseHead(direction, buf, state);
    if (head.kind === 'more') return NEEDS_MORE;
    if (head.kind === 'invalid') return head;
    started(direction, head.msg, state);
    d.msg = head.msg;
    d.frameLeft = 4 + head.msg.size - head.pos;
    d.produce = head.produce;
    pos = head.pos;
  }
  const msg = d.msg;
  const frameEnd = pos + d.frameLeft;
  if (d.produce !== null) {
    const step = stepProduce(d.produce, msg, buf, pos, frameEnd);
    if (step.kind === 'more') { d.frameLeft = frameEnd - step.pos; return { kind: 'needs-more-data', absorbed: step.pos }; }
    if (step.kind === 'invalid') msg.notes.push(`Produce body does not parse (${step.reason}); walked over`);
    else pos = step.pos;
    d.produce = null;
  }
  // The rest of the message is walked over, never kept.
  pos += Math.min(frameEnd - pos, buf.length - pos);
  if (pos < frameEnd) { d.frameLeft = frameEnd - pos; return { kind: 'needs-more-data', absorbed: pos }; }
  state[direction] = newDirectionState();
  return { kind: 'success', frame: msg, consumed: pos };
}

export function absorbGap(direction: Direction, length: number, state: KafkaState): number {
  const d = state[direction];
  if (d.msg === null) return 0;
  const n = d.produce !== null ? absorbProduceGap(d.produce, d.msg, Math.min(length, d.frameLeft)) : Math.min(length, d.frameLeft);
  d.frameLeft -= n;
  return n;
}

/** What is known of a message cut short: its head if parsed, else the header in `buf`. */
export function abandon(direction: Direction, buf: Buffer, state: KafkaState): KafkaMessage | null {
  const d = state[direction];
  state[direction] = newDirectionState();
  if (d.msg !== null) return d.msg;
  if (buf.length < 8) return null;
  const size = buf.readInt32BE(0);
  const r = new Reader(buf, 4, buf.length);
  let msg: KafkaMessage | null;
  if (direction === 'request') {
    msg = readRequestHeader(r, size);
    if (msg !== null && msg.apiKey === API.Produce) msg.notes.push('topics not read: request cut short');
  } else {
    msg = newMessage('response', size, r.int32());
    const request = state.inFlight.get(msg.correlationId);
    if (request !== undefined) { msg.apiKey = request.apiKey; msg.apiVersion = request.apiVersion; }
  }
  if (msg === null) return null;
  started(direction, msg, state);
  return msg;
}
