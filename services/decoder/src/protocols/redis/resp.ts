// The RESP walker: advances through one frame's bytes as they arrive, keeping only the stack of
// aggregates it is inside, and counts bulk payloads instead of buffering them (a 512 MiB value
// streams through a 128 KiB driver buffer). RESP2 and RESP3 type bytes; RESP3 streamed
// aggregates/strings (`$?`, `*?`) are refused: no Redis server sends them.
import type { Direction } from '../protocol.js';
import { REDIS_LIMITS, TYPE_NAMES, type CaptureTarget, type RedisFrame, type RespDirection } from './types.js';

export type Step = { kind: 'done'; pos: number } | { kind: 'more'; pos: number } | { kind: 'invalid'; reason: string };

const CR = 0x0d;
const LF = 0x0a;
const BULK = new Set([0x24, 0x21, 0x3d]); // $ ! =
const AGGREGATE = new Set([0x2a, 0x25, 0x7e, 0x3e, 0x7c]); // * % ~ > |
const PAIRS = new Set([0x25, 0x7c]); // % | count key/value pairs
const LENGTH_CHARS = /^-?[0-9]*$/;
const DOUBLE = /^[-+]?(?:inf|nan|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)$/i;
const invalid = (reason: string): Step => ({ kind: 'invalid', reason });

/** Is the value about to start one whose text is kept (command name, error line, ...)? */
function target(dir: Direction, d: RespDirection, type: number): CaptureTarget {
  if (d.attrDepth > 0) return null;
  const depth = d.stack.length;
  if (depth === 0) return dir === 'response' && (type === 0x2d || type === 0x21) ? 'error' : null;
  if (depth !== 1) return null;
  const index = (d.stack[0] as { index: number }).index;
  if (dir === 'request') return index === 0 ? 'command' : index === 1 ? 'sub' : null;
  return index === 0 && (type === 0x24 || type === 0x2b) ? 'head' : null;
}

function limitOf(t: CaptureTarget): number {
  return t === 'error' ? REDIS_LIMITS.maxErrorChars : t === 'head' ? REDIS_LIMITS.maxHeadChars : REDIS_LIMITS.maxCommandChars;
}

function take(d: RespDirection, buf: Buffer, from: number, to: number): void {
  if (d.capture === null) return;
  const room = limitOf(d.capture) - d.captured.length;
  if (to - from > room) d.capturedOver = true;
  if (room > 0) d.captured += buf.toString('latin1', from, Math.min(to, from + room));
}

/** The captured string goes to its field; false when a command name is not one. */
function store(d: RespDirection, f: RedisFrame): boolean {
  const text = d.captured;
  const over = d.capturedOver;
  const t = d.capture;
  d.capture = null;
  d.captured = '';
  d.capturedOver = false;
  if (t === 'command') {
    if (over || !/^[A-Za-z][A-Za-z0-9_|.:-]*$/.test(text)) return false;
    f.command = text.toUpperCase();
  } else if (t === 'sub') d.sub = !over && /^[A-Za-z][A-Za-z0-9_-]*$/.test(text) ? text.toUpperCase() : '';
  else if (t === 'head') f.head = over ? null : text.toLowerCase();
  else if (t === 'error') f.error = text;
  return true;
}

/** A value ended: count it in its aggregate(s). true when the top-level value is complete. */
function endValue(d: RespDirection): boolean {
  for (;;) {
    const top = d.stack[d.stack.length - 1];
    if (top === undefined) return true;
    top.remaining--;
    top.index++;
    if (top.remaining > 0) return false;
    d.stack.pop();
    // A finished attribute map is no value: the value it describes comes next.
    if (top.attr) { d.attrDepth--; return false; }
  }
}

/** Early rejection of a line still incomplete, so garbage is invalid without waiting for LF. */
function prefixOk(type: number, buf: Buffer, from: number, to: number): boolean {
  if (BULK.has(type) || AGGREGATE.has(type) || type === 0x3a || type === 0x28) {
    const text = buf.toString('latin1', from, to).replace(/\r$/, '');
    if (type === 0x28) return /^[-+]?[0-9]*$/.test(text); // big numbers are as long as a line
    return text.length <= 20 && (LENGTH_CHARS.test(text) || (text === '?' && type !== 0x3a));
  }
  return buf.indexOf(CR, from) < 0 || buf.indexOf(CR, from) === to - 1;
}

/** Walk buf from `start`; d.frame is the frame in progress. */
export function walk(dir: Direction, d: RespDirection, buf: Buffer, start: number): Step {
  const f = d.frame as RedisFrame;
  let pos = start;
  for (;;) {
    if (d.inBulk) {
      const n = Math.min(d.bulkLeft, buf.length - pos);
      take(d, buf, pos, pos + n);
      f.payloadBytes += n;
      d.bulkLeft -= n;
      pos += n;
      if (d.bulkLeft > 0) return { kind: 'more', pos };
      while (d.crlfLeft > 0) {
        if (pos >= buf.length) return { kind: 'more', pos };
        if (buf[pos] !== (d.crlfLeft === 2 ? CR : LF)) return invalid('bulk string not followed by CRLF');
        pos++;
        d.crlfLeft--;
      }
      d.inBulk = false;
      if (!store(d, f)) return invalid('bad command name');
      if (endValue(d)) return { kind: 'done', pos };
      continue;
    }
    if (pos >= buf.length) return { kind: 'more', pos };
    const type = buf[pos] as number;
    const name = TYPE_NAMES.get(type);
    if (name === undefined) return invalid(type === 0x3b || type === 0x2e ? 'streamed RESP3 strings are not supported' : 'not a RESP type byte');
    if (dir === 'request' && type !== (d.stack.length === 0 ? 0x2a : 0x24)) return invalid('a command is an array of bulk strings');
    const eol = buf.indexOf(LF, pos);
    if (eol < 0 || eol - pos > REDIS_LIMITS.maxLineBytes + 2) {
      if (buf.length - pos > REDIS_LIMITS.maxLineBytes + 2) return invalid('line too long');
      return prefixOk(type, buf, pos + 1, buf.length) ? { kind: 'more', pos } : invalid(`bad ${name} line`);
    }
    if (eol - 1 <= pos || buf[eol - 1] !== CR) return invalid('line not ended by CRLF');
    const text = buf.toString('latin1', pos + 1, eol - 1);
    if (text.includes('\r')) return invalid('CR inside a line');
    const top = d.stack.length === 0;
    const capture = target(dir, d, type);
    pos = eol + 1;
    f.elements++;
    if (top && type !== 0x7c) f.replyType = name;
    if (BULK.has(type) || AGGREGATE.has(type)) {
      if (text === '?') return invalid('streamed RESP3 aggregates are not supported');
      if (!/^(?:-1|0|[1-9][0-9]{0,9})$/.test(text)) return invalid(`bad ${name} length`);
      const n = Number(text);
      if (n < 0) {
        if (type !== 0x24 && type !== 0x2a) return invalid(`negative ${name} length`);
        if (top) f.replyType = 'null'; // RESP2 null bulk / null array
        if (endValue(d)) return { kind: 'done', pos };
        continue;
      }
      if (BULK.has(type)) {
        if (n > REDIS_LIMITS.maxBulkBytes) return invalid('bulk string over 512 MiB');
        if (type === 0x3d && n < 4) return invalid('verbatim string without a format');
        d.inBulk = true;
        d.bulkLeft = n;
        d.crlfLeft = 2;
        d.capture = capture;
        continue;
      }
      const count = PAIRS.has(type) ? 2 * n : n;
      if (count > REDIS_LIMITS.maxAggregateElements) return invalid(`${name} with too many elements`);
      if (d.stack.length >= REDIS_LIMITS.maxDepth) return invalid(`nesting deeper than ${REDIS_LIMITS.maxDepth}`);
      if (top && dir === 'request') d.topCount = n;
      if (type === 0x7c) {
        f.attributes++;
        if (count > 0) { d.stack.push({ remaining: count, index: 0, attr: true }); d.attrDepth++; }
        continue;
      }
      if (count > 0) { d.stack.push({ remaining: count, index: 0, attr: false }); continue; }
      if (endValue(d)) return { kind: 'done', pos };
      continue;
    }
    const ok = type === 0x2b || type === 0x2d ? true
      : type === 0x3a ? /^[-+]?[0-9]{1,19}$/.test(text)
        : type === 0x28 ? /^[-+]?[0-9]+$/.test(text)
          : type === 0x2c ? DOUBLE.test(text)
            : type === 0x23 ? text === 't' || text === 'f'
              : text === ''; // _ null
    if (!ok) return invalid(`bad ${name} line`);
    if (capture !== null && type !== 0x3a) { d.capture = capture; take(d, buf, eol - 1 - text.length, eol - 1); store(d, f); }
    if (type === 0x3a && dir === 'response' && d.attrDepth === 0 && d.stack.length === 1 && (d.stack[0] as { index: number }).index === 2) {
      f.third = Number(text);
    }
    if (endValue(d)) return { kind: 'done', pos };
  }
}
