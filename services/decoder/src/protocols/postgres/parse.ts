// parseFrame / absorbGap / abandon for PostgreSQL (see protocols/protocol.ts for the contract).
// Messages are walked one by one; whole messages already accounted into the cycle in progress
// are handed back as `absorbed`, bodies nobody needs (DataRow, CopyData) are skipped as they
// stream, so a 20000-row result never sits in the buffer.
import type { Direction, ParseResult } from '../protocol.js';
import { checkHeader, readTextPrefix } from './messages.js';
import { onRequestMessage, onResponseMessage, wanted } from './cycle.js';
import { parseAnswer, parseStartup } from './startup.js';
import { PG_LIMITS, newDirectionState, newFrame, type PgDirectionState, type PgFrame, type PgState } from './types.js';

const END = { kind: 'end-of-stream' } as const;

/** Bytes before `pos` belong to the cycle in progress (accounted into its frame). */
function more(pos: number): ParseResult<PgFrame> {
  return { kind: 'needs-more-data', absorbed: pos };
}

/** Messages between cycles that no transaction owns: consumed whole, or skipped as they stream. */
function ignore(d: PgDirectionState, buf: Buffer, length: number): ParseResult<PgFrame> {
  const total = 1 + length;
  if (buf.length >= total) return { kind: 'ignored', consumed: total };
  if (total <= PG_LIMITS.maxIgnoredWholeBytes) return more(0);
  d.skip = total - buf.length;
  return { kind: 'ignored', consumed: buf.length };
}

function isBetweenCycles(direction: Direction, type: string, state: PgState): boolean {
  if (direction === 'request') return type === 'p' || type === 'X' || type === 'd' || type === 'c' || type === 'f';
  // Notifications are always asynchronous; notices and parameter reports are when nothing is asked.
  return type === 'A' || ((type === 'N' || type === 'S') && state.outstanding === 0 && !state.startupPending);
}

export function parseFrame(direction: Direction, buf: Buffer, state: PgState, _atEnd: boolean): ParseResult<PgFrame> {
  if (state.switched !== null) return END;
  const d = state[direction];
  let pos = 0;
  if (d.frame === null) {
    if (d.skip > 0) { // the rest of an ignored message
      const n = Math.min(d.skip, buf.length);
      if (n === 0) return more(0);
      d.skip -= n;
      return { kind: 'ignored', consumed: n };
    }
    if (buf.length === 0) return more(0);
    if (direction === 'request' && !state.startupDone) {
      if (buf[0] === 0) return parseStartup(buf, state);
      if (buf[0] === 0x16 && state.answer === null) { state.switched = 'tls'; return END; } // direct TLS
    }
    if (direction === 'response' && state.answer !== null) {
      const r = parseAnswer(buf, state);
      if (r !== null) return r;
    }
  }
  for (;;) {
    if (d.skip > 0) {
      const n = Math.min(d.skip, buf.length - pos);
      d.skip -= n;
      pos += n;
      if (d.skip > 0) return more(pos);
      if (d.endAfterSkip) return finish(d, pos);
    }
    const h = checkHeader(direction, buf, pos);
    if (h.kind === 'more') return more(pos);
    // The messages walked before the bad header are the cycle's: hand them over with the
    // verdict, or the driver's resync would re-walk them from each DataRow inside them.
    if (h.kind === 'invalid') return pos > 0 ? { kind: 'invalid', reason: h.reason, absorbed: pos } : h;
    state.startupDone = true; // typed messages: the startup phase is over (or was not captured)
    if (d.frame === null) {
      if (isBetweenCycles(direction, h.type, state)) return ignore(d, buf, h.length);
      d.frame = newFrame(direction === 'request' ? 'query' : 'response');
      if (direction === 'response') d.frame.startup = state.startupPending;
    }
    const body = h.length - 4;
    const need = Math.min(body, wanted(direction, h.type));
    if (buf.length - pos - 5 < need) return more(pos);
    const bodyStart = pos + 5;
    const view = buf.subarray(bodyStart, bodyStart + need);
    const ends = direction === 'request'
      ? onRequestMessage(h.type, view, need < body, d.frame, state)
      : onResponseMessage(h.type, view, body, d.frame, state);
    if (ends === 'invalid') return { kind: 'invalid', reason: `malformed '${h.type}' message`, absorbed: pos };
    d.frame.messages++;
    pos = bodyStart + need;
    d.skip = body - need;
    d.endAfterSkip = ends;
    if (d.skip === 0 && ends) return finish(d, pos);
  }
}

function finish(d: PgDirectionState, pos: number): ParseResult<PgFrame> {
  const frame = d.frame as PgFrame;
  d.frame = null;
  d.skip = 0;
  d.endAfterSkip = false;
  return { kind: 'success', frame, consumed: pos };
}

/** A hole inside a body being skipped is counted as that body's bytes. */
export function absorbGap(direction: Direction, length: number, state: PgState): number {
  const d = state[direction];
  if (d.frame === null || d.skip === 0) return 0;
  const n = Math.min(length, d.skip);
  d.skip -= n;
  return n;
}

export function abandon(direction: Direction, buf: Buffer, state: PgState): PgFrame | null {
  const d = state[direction];
  state[direction] = newDirectionState();
  if (d.frame !== null) {
    if (direction === 'response' && d.frame.startup) state.startupPending = false;
    return d.frame;
  }
  // A Query cut short inside its text: its prefix is still worth reporting.
  if (direction === 'request' && buf.length > 5 && buf[0] === 0x51 && checkHeader('request', buf, 0).kind === 'ok') {
    const frame = newFrame('query');
    frame.messages = 1;
    frame.queries.push(readTextPrefix(buf, 5, buf.length, PG_LIMITS.maxQueryChars).text);
    return frame;
  }
  return null;
}
