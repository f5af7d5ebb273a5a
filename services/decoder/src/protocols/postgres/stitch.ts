// Pairing PostgreSQL request cycles with response cycles. The server answers cycles in order
// (pipelined ones too), so the oldest unanswered request owns the next response — if it started
// before that response did. After a gap in the response direction responses may be missing: the
// response then belongs to the newest request that started before it. A CancelRequest is
// answered by no message (the server closes): it becomes a transaction on its own.
import type { Exchange, Framed, ProtocolFields, StitchResult } from '../protocol.js';
import { PG_LIMITS, type PgFrame } from './types.js';
import { inOrderOwner } from '../in-order.js';

type F = Framed<PgFrame>;

function exchangeNotes(req: F, res: F | null): string[] {
  const notes: string[] = [];
  const r = req.frame;
  if (r.kind === 'startup') {
    const p = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ');
    notes.push(`startup: ${p}`.trimEnd());
  }
  if (r.kind === 'cancel') notes.push(`cancel request for backend pid ${r.params['pid'] ?? '?'}`);
  if (r.unknownStatements.length > 0) {
    notes.push(`statement text not captured (prepared earlier): ${r.unknownStatements.map((s) => JSON.stringify(s)).join(', ')}`);
  }
  if (res !== null && res.frame.startup !== (r.kind === 'startup')) notes.push('response does not match the request kind');
  return notes;
}

export function stitch(requests: F[], responses: F[], final: boolean): StitchResult<PgFrame> {
  const transactions: Exchange<PgFrame>[] = [];
  let ri = 0;
  let orphanResponses = 0;
  let k = 0;
  const takeCancels = (): void => {
    while (ri < requests.length && (requests[ri] as F).frame.kind === 'cancel') {
      const req = requests[ri++] as F;
      transactions.push({ request: req, response: null, notes: exchangeNotes(req, null) });
    }
  };
  for (; k < responses.length; k++) {
    takeCancels();
    const res = responses[k] as F;
    const j = inOrderOwner(requests, ri, res);
    if (j < 0) {
      if (ri >= requests.length && !final) break; // its request may still be arriving
      orphanResponses++;
      continue;
    }
    for (let m = ri; m < j; m++) {
      transactions.push({ request: requests[m] as F, response: null, notes: ['response not captured (capture gap)'] });
    }
    const req = requests[j] as F;
    transactions.push({ request: req, response: res, notes: exchangeNotes(req, res) });
    ri = j + 1;
  }
  takeCancels();
  let leftRequests = requests.slice(ri);
  let leftResponses = responses.slice(k);
  if (final) {
    for (const req of leftRequests) transactions.push({ request: req, response: null, notes: ['no response captured', ...exchangeNotes(req, null)] });
    orphanResponses += leftResponses.length;
    leftRequests = [];
    leftResponses = [];
  }
  return { transactions, leftover: { requests: leftRequests, responses: leftResponses }, orphanResponses };
}

/** Several texts or tags of one cycle, joined (bounded like the parts). */
function join(parts: string[]): string {
  const s = parts.join('; ');
  return s.length <= PG_LIMITS.maxQueryChars ? s : `${s.slice(0, PG_LIMITS.maxQueryChars)}…`;
}

export function describe(exchange: Exchange<PgFrame>): ProtocolFields {
  const req = exchange.request.frame;
  const res = exchange.response?.frame ?? null;
  if (req.kind === 'startup' || req.kind === 'cancel') {
    const tag = req.kind === 'startup' ? 'STARTUP' : 'CANCEL';
    return { postgres: { query: '', tag, error: res?.error ?? null, extended: false } };
  }
  const tags = res?.tags ?? [];
  return {
    postgres: {
      query: join(req.queries.length > 0 ? req.queries : req.prepared),
      tag: tags.length === 0 ? null : join(tags),
      error: res?.error ?? null,
      extended: req.extended,
    },
  };
}
