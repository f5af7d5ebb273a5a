// Pairing HTTP/2 requests with responses by stream id (streams interleave; order means nothing).
// The parser hands over the start and the end of each message as separate frames, stamped by
// the driver with their own times and places; here they are joined into one Framed message
// (start fragment's seq/startNs, end fragment's endNs, the message's own byte count), and kept
// in the leftover until both messages of a stream have ended.
import type { Exchange, Framed, StitchResult } from '../protocol.js';
import type { Http2Frame, Http2Message } from './types.js';

type F = Framed<Http2Frame>;
const MAX_NOTES = 8;

/** Fold a fragment into the message it belongs to (a new aggregate if its start was not kept). */
function fold(into: Map<Http2Message, F>, order: F[], f: F): void {
  const agg = into.get(f.frame.msg);
  if (agg === undefined) {
    const a: F = { ...f, frame: { ...f.frame }, notes: [...f.notes], index: f.frame.msg.streamId >>> 1 };
    if (!f.frame.start) { a.partial = true; a.notes.push('start of message not captured'); }
    into.set(f.frame.msg, a);
    order.push(a);
    return;
  }
  agg.endNs = f.endNs;
  agg.truncatedBytes += f.truncatedBytes;
  agg.lostBytes += f.lostBytes;
  agg.partial ||= f.partial;
  for (const n of f.notes) if (agg.notes.length < MAX_NOTES) agg.notes.push(n);
  if (f.frame.end) agg.frame.end = true;
}

/** Ended: END_STREAM seen, or reset. */
function done(f: F): boolean {
  return f.frame.end || f.frame.msg.resetCode !== null;
}

/** Wire bytes and completeness come from the message (the fragments only carry their frame). */
function seal(f: F, final: boolean): F {
  const m = f.frame.msg;
  f.wireBytes = Math.max(m.wireBytes, f.wireBytes);
  const missing = m.gapBytes - f.truncatedBytes - f.lostBytes;
  if (missing > 0) f.lostBytes += missing;
  if (m.crossedGap && !f.partial) { f.partial = true; f.notes.push('frames may be missing (capture gap while the stream was open)'); }
  if (!done(f) && final && !f.partial) { f.partial = true; f.notes.push('cut short: stream did not end'); }
  return f;
}

function exchangeNotes(req: F, res: F | null): string[] {
  const notes: string[] = [];
  for (const [side, f] of [['request', req], ['response', res]] as const) {
    if (f === null) continue;
    const m = f.frame.msg;
    if (m.headersPartial) notes.push(`${side}: some header fields unknown (HPACK state lost in a capture gap)`);
    if (m.resetCode !== null) notes.push(`stream reset (RST_STREAM error code ${m.resetCode})`);
  }
  return [...new Set(notes)];
}

export function stitch(requests: F[], responses: F[], final: boolean): StitchResult<Http2Frame> {
  const reqs = new Map<Http2Message, F>();
  const reqOrder: F[] = [];
  for (const f of requests) fold(reqs, reqOrder, f);
  const ress = new Map<Http2Message, F>();
  const resOrder: F[] = [];
  for (const f of responses) fold(ress, resOrder, f);
  const byStream = new Map<number, F>();
  for (const r of reqOrder) byStream.set(r.frame.msg.streamId, r);

  const transactions: Exchange<Http2Frame>[] = [];
  const paired = new Set<F>();
  const leftResponses: F[] = [];
  let orphanResponses = 0;
  for (const res of resOrder) {
    const req = byStream.get(res.frame.msg.streamId);
    if (req === undefined) {
      // The request's HEADERS precede the response's on the wire: it was never captured.
      if (done(res) || final) orphanResponses++;
      else leftResponses.push(res);
      continue;
    }
    if (!final && !(done(req) && done(res))) { leftResponses.push(res); continue; }
    paired.add(req);
    transactions.push({ request: seal(req, final), response: seal(res, final), notes: exchangeNotes(req, res) });
  }
  const leftRequests: F[] = [];
  for (const req of reqOrder) {
    if (paired.has(req)) continue;
    // A reset stream ends without a response; otherwise wait for it (unless the flow is over).
    if (final || req.frame.msg.resetCode !== null) {
      const notes = exchangeNotes(req, null);
      notes.unshift('no response captured');
      transactions.push({ request: seal(req, final), response: null, notes });
    } else leftRequests.push(req);
  }
  return { transactions, leftover: { requests: leftRequests, responses: leftResponses }, orphanResponses };
}
