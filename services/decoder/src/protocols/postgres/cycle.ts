// What each message does to the cycle in progress. Request side: Query ends a cycle; Parse
// records its statement's text, Bind ties a portal to it, Execute adds that text to the cycle,
// Sync ends it. Response side: CommandComplete tags, the first ErrorResponse, DataRows counted;
// ReadyForQuery ends it (an ErrorResponse ends a startup exchange: the server closes after it).
import type { Direction } from '../protocol.js';
import { cut, readCString, readError, readTextPrefix } from './messages.js';
import { PG_LIMITS, type PgFrame, type PgState } from './types.js';

/** Body bytes a message type needs in the buffer before it is handled (the rest is skipped). */
export function wanted(direction: Direction, type: string): number {
  if (direction === 'request') {
    if (type === 'Q' || type === 'P') return PG_LIMITS.maxQueryBodyBytes;
    if (type === 'B' || type === 'E' || type === 'C') return PG_LIMITS.maxNameBodyBytes;
    return 0;
  }
  if (type === 'C') return PG_LIMITS.maxNameBodyBytes;
  if (type === 'E') return PG_LIMITS.maxErrorBodyBytes;
  return 0;
}

/** Bounded LRU insert: the oldest entry goes first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > PG_LIMITS.maxStatements) map.delete(map.keys().next().value as string);
}

function addQuery(frame: PgFrame, text: string): void {
  if (frame.queries.length < PG_LIMITS.maxPerCycle) frame.queries.push(text);
}

/** Handles one client message; true when it ends the cycle, 'invalid' when malformed. */
export function onRequestMessage(type: string, body: Buffer, cutShort: boolean, frame: PgFrame, state: PgState): boolean | 'invalid' {
  switch (type) {
    case 'Q': {
      const q = readTextPrefix(body, 0, body.length, PG_LIMITS.maxQueryChars);
      if (!cutShort && body.indexOf(0) !== body.length - 1) return 'invalid'; // one NUL, at the end
      addQuery(frame, q.text);
      state.outstanding++;
      return true;
    }
    case 'P': {
      const name = readCString(body, 0, body.length);
      if (name === null) return 'invalid';
      const text = readTextPrefix(body, name.next, body.length, PG_LIMITS.maxQueryChars);
      remember(state.statements, name.text, text.text);
      if (frame.prepared.length < PG_LIMITS.maxPerCycle) frame.prepared.push(text.text);
      frame.extended = true;
      return false;
    }
    case 'B': {
      const portal = readCString(body, 0, body.length);
      const stmt = portal === null ? null : readCString(body, portal.next, body.length);
      if (portal === null || stmt === null) return 'invalid';
      const text = state.statements.get(stmt.text) ?? null;
      if (text === null && frame.unknownStatements.length < PG_LIMITS.maxPerCycle) frame.unknownStatements.push(stmt.text);
      remember(state.portals, portal.text, text);
      frame.extended = true;
      return false;
    }
    case 'E': {
      const portal = readCString(body, 0, body.length);
      if (portal === null || portal.next + 4 !== body.length) return 'invalid';
      addQuery(frame, state.portals.get(portal.text) ?? '');
      frame.extended = true;
      return false;
    }
    case 'C': { // Close: 'S' statement or 'P' portal
      const name = readCString(body, 1, body.length);
      if (name === null || (body[0] !== 0x53 && body[0] !== 0x50)) return 'invalid';
      (body[0] === 0x53 ? state.statements : state.portals).delete(name.text);
      frame.extended = true;
      return false;
    }
    case 'S': // Sync
      state.outstanding++;
      return true;
    case 'F': // FunctionCall: a cycle of its own
      addQuery(frame, '<function call>');
      state.outstanding++;
      return true;
    default:
      return false;
  }
}

/** Handles one server message (`body` holds at most wanted() bytes of `bodyLength`). */
export function onResponseMessage(type: string, body: Buffer, bodyLength: number, frame: PgFrame, state: PgState): boolean | 'invalid' {
  switch (type) {
    case 'C': {
      const tag = readCString(body, 0, body.length);
      if (tag === null && body.length === bodyLength) return 'invalid';
      if (frame.tags.length < PG_LIMITS.maxPerCycle) frame.tags.push(cut(tag?.text ?? body.toString('utf8'), 256));
      return false;
    }
    case 'E': {
      const error = readError(body);
      if (error === null) return 'invalid';
      frame.error ??= error;
      if (frame.startup) { state.startupPending = false; state.outstanding = Math.max(0, state.outstanding - 1); }
      return frame.startup;
    }
    case 'D':
      frame.rows++;
      frame.rowBytes += bodyLength;
      return false;
    case 'R':
      frame.startup = true;
      return false;
    case 'Z':
      frame.ready = true;
      state.startupPending = false;
      state.outstanding = Math.max(0, state.outstanding - 1);
      return true;
    default:
      return false;
  }
}
