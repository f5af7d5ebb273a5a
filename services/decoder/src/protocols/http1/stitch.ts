// Pairing HTTP/1 requests with responses. On one connection responses come in request order
// (pipelining included), so the oldest unanswered request owns the next final response — if it
// started before that response did. After a capture gap in the response direction responses may
// be missing: the response then belongs to the newest request that started before it, and the
// requests skipped over lost theirs. Interim (1xx) responses are notes on the final one's pair.
import type { Exchange, Framed, ProtocolFields, StitchResult } from '../protocol.js';
import type { Http1Message } from './types.js';
import { inOrderOwner } from '../in-order.js';

type F = Framed<Http1Message>;

function exchangeNotes(req: F, res: F | null, interim: F[]): string[] {
  const notes: string[] = [];
  for (const i of interim) notes.push(`interim response ${i.frame.statusCode} ${i.frame.reason}`.trimEnd());
  if (!req.frame.headComplete) notes.push('request head incomplete');
  if (res !== null && !res.frame.headComplete) notes.push('response head incomplete');
  const to = res?.frame.switchTo ?? null;
  if (to !== null) notes.push(to === 'tunnel' ? 'CONNECT tunnel established; tunneled bytes not parsed' : `protocol switch: ${to}`);
  return notes;
}

export function stitch(requests: F[], responses: F[], final: boolean): StitchResult<Http1Message> {
  const transactions: Exchange<Http1Message>[] = [];
  let ri = 0;
  let orphanResponses = 0;
  let interim: F[] = [];
  let k = 0;
  for (; k < responses.length; k++) {
    const res = responses[k] as F;
    if (res.frame.interim) { interim.push(res); continue; }
    const j = inOrderOwner(requests, ri, res);
    if (j < 0) {
      if (ri >= requests.length && !final) break; // its request may still be arriving
      orphanResponses += 1 + interim.length;
      interim = [];
      continue;
    }
    for (let m = ri; m < j; m++) {
      transactions.push({ request: requests[m] as F, response: null, notes: ['response not captured (capture gap)'] });
    }
    const req = requests[j] as F;
    transactions.push({ request: req, response: res, notes: exchangeNotes(req, res, interim) });
    ri = j + 1;
    interim = [];
  }
  let leftRequests = requests.slice(ri);
  let leftResponses = k < responses.length ? interim.concat(responses.slice(k)) : interim;
  if (final) {
    for (const req of leftRequests) {
      transactions.push({ request: req, response: null, notes: ['no response captured', ...exchangeNotes(req, null, leftResponses)] });
      leftResponses = [];
    }
    orphanResponses += leftResponses.length;
    leftRequests = [];
    leftResponses = [];
  }
  return { transactions, leftover: { requests: leftRequests, responses: leftResponses }, orphanResponses };
}

/** path and query of a request-target (origin, absolute, authority or asterisk form). */
export function splitTarget(method: string, target: string): { path: string; query: string | null } {
  if (method === 'CONNECT' || target === '*') return { path: target === '*' ? '*' : '', query: null };
  let t = target;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(t);
  if (scheme !== null) {
    const rest = t.slice(scheme[0].length);
    const cut = rest.search(/[/?]/);
    t = cut < 0 ? '/' : rest[cut] === '?' ? `/${rest.slice(cut)}` : rest.slice(cut);
  }
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(0, hash);
  const q = t.indexOf('?');
  return q < 0 ? { path: t, query: null } : { path: t.slice(0, q), query: t.slice(q + 1) };
}

export function describe(exchange: Exchange<Http1Message>): ProtocolFields {
  const req = exchange.request.frame;
  const res = exchange.response?.frame ?? null;
  const { path, query } = splitTarget(req.method, req.target);
  return {
    http: {
      method: req.method,
      target: req.target,
      path,
      query,
      version: req.version,
      statusCode: res?.statusCode ?? null,
      reason: res?.reason ?? null,
      requestHeaders: req.headers,
      responseHeaders: res?.headers ?? {},
      requestBodyBytes: req.bodyBytes,
      responseBodyBytes: res?.bodyBytes ?? 0,
    },
  };
}
