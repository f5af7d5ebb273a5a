// The h2c upgrade (RFC 7540 §3.2): an HTTP/1.1 request with `Upgrade: h2c` answered by
// 101 Switching Protocols, after which both sides speak HTTP/2 and the upgraded request is
// stream 1, half-closed from the client, its response an HTTP/2 message on stream 1. The flow
// calls this when the HTTP/1 parser stopped at the 101: the HTTP/1 request becomes stream 1's
// request (same bytes, same times) and the 101 itself is only a note.
import type { Framed } from '../protocol.js';
import type { Http1Message } from '../http1/types.js';
import { openStream } from './streams.js';
import { newHttp2State, newMessage, type Http2Frame, type Http2State } from './types.js';

export interface H2cUpgrade {
  state: Http2State;
  /** stream 1's request, ready for stitch */
  request: Framed<Http2Frame>;
}

/** An HTTP/1 frame (the flow's frames are untyped) that switched the connection to h2c. */
export function isH2cSwitch(f: Framed<unknown>): boolean {
  return (f.frame as Partial<Http1Message> | null)?.switchTo === 'h2c';
}

/**
 * From the HTTP/1 frames of the switch: `request` the upgrade request, `response` the 101.
 * Null when they are not an h2c upgrade.
 */
export function h2cUpgrade(request: Framed<unknown>, response: Framed<unknown>): H2cUpgrade | null {
  const req = request.frame as Http1Message;
  if (req.kind !== 'request' || !isH2cSwitch(response)) return null;
  const state = newHttp2State();
  const msg = newMessage(1, 'request');
  msg.method = req.method;
  msg.path = req.target;
  msg.authority = req.headers['host'] ?? '';
  msg.headers = { ...req.headers }; // allowlisted and redacted by the HTTP/1 parser already
  msg.contentType = req.headers['content-type'] ?? null;
  msg.bodyBytes = req.bodyBytes;
  msg.wireBytes = request.wireBytes;
  msg.ended = true;
  if (!req.headComplete) msg.headersPartial = true;
  const s = openStream(state, 1);
  s.requestDone = true;
  const notes = [...request.notes, 'upgraded to h2c (101 Switching Protocols); response on HTTP/2 stream 1'];
  return {
    state,
    request: { ...request, frame: { msg, start: true, end: true }, index: 0, notes },
  };
}
