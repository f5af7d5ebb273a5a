// Per-connection stream table: bounded, oldest evicted first (counted). A stream is forgotten
// once both of its messages ended or it was reset.
import { HTTP2_LIMITS, type Http2Message, type Http2State, type StreamState } from './types.js';

export function openStream(state: Http2State, id: number): StreamState {
  if (state.streams.size >= HTTP2_LIMITS.maxOpenStreams) {
    const oldest = state.streams.keys().next().value as number;
    state.streams.delete(oldest);
    state.counters.streamsEvicted++;
  }
  const s: StreamState = { request: null, response: null, requestDone: false, responseDone: false };
  state.streams.set(id, s);
  return s;
}

/** END_STREAM (or a reset) on msg's side of its stream. */
export function endMessage(state: Http2State, msg: Http2Message): void {
  msg.ended = true;
  const s = state.streams.get(msg.streamId);
  if (s === undefined) return;
  if (msg.kind === 'request') { s.requestDone = true; s.request = null; } else { s.responseDone = true; s.response = null; }
  if (s.requestDone && s.responseDone) state.streams.delete(msg.streamId);
}

/** RST_STREAM: both messages end here; returns the sender's message in progress, if any. */
export function resetStream(state: Http2State, id: number, code: number, sender: 'request' | 'response'): Http2Message | null {
  const s = state.streams.get(id);
  if (s === undefined) return null;
  state.streams.delete(id);
  for (const m of [s.request, s.response]) if (m !== null) { m.resetCode = code; m.ended = true; }
  return s[sender];
}

/** Bytes of one direction were lost: every message open on that side may miss frames. */
export function markGap(state: Http2State, direction: 'request' | 'response'): void {
  for (const s of state.streams.values()) {
    const m = s[direction];
    if (m !== null) m.crossedGap = true;
  }
}
