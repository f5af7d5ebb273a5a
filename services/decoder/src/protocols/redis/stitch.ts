// Pairing Redis commands with replies. One connection answers in command order (pipelining
// included); the parser already dropped pushes and the extra confirmations of pub/sub commands,
// so the n-th reply answers the n-th command — if it started after that command did. After a
// resync in the reply direction replies may be missing: the reply then belongs to the newest
// command that started before it, and the commands skipped over lost theirs.
import type { Exchange, Framed, ProtocolFields, StitchResult } from '../protocol.js';
import type { RedisFrame } from './types.js';
import { inOrderOwner } from '../in-order.js';

type F = Framed<RedisFrame>;

function notes(req: F, res: F | null): string[] {
  const out: string[] = [];
  if (req.frame.inline) out.push('inline command');
  if (!req.frame.complete) out.push('request incomplete');
  if (res !== null) {
    if (!res.frame.complete) out.push('reply incomplete');
    if (res.frame.pushesBefore > 0) out.push(`${res.frame.pushesBefore} push message(s) before this reply (pub/sub, tracking, further confirmations)`);
    if (res.frame.attributes > 0) out.push(`reply carried ${res.frame.attributes} attribute map(s)`);
  }
  return out;
}

export function stitch(requests: F[], responses: F[], final: boolean): StitchResult<RedisFrame> {
  const transactions: Exchange<RedisFrame>[] = [];
  let ri = 0;
  let k = 0;
  let orphanResponses = 0;
  for (; k < responses.length; k++) {
    const res = responses[k] as F;
    const j = inOrderOwner(requests, ri, res);
    if (j < 0) {
      if (ri >= requests.length && !final) break; // its command may still be arriving
      orphanResponses++;
      continue;
    }
    for (let m = ri; m < j; m++) {
      transactions.push({ request: requests[m] as F, response: null, notes: ['reply not captured (capture gap)'] });
    }
    const req = requests[j] as F;
    transactions.push({ request: req, response: res, notes: notes(req, res) });
    ri = j + 1;
  }
  let leftRequests = requests.slice(ri);
  let leftResponses = responses.slice(k);
  if (final) {
    for (const req of leftRequests) transactions.push({ request: req, response: null, notes: ['no reply captured', ...notes(req, null)] });
    orphanResponses += leftResponses.length;
    leftRequests = [];
    leftResponses = [];
  }
  return { transactions, leftover: { requests: leftRequests, responses: leftResponses }, orphanResponses };
}

export function describe(exchange: Exchange<RedisFrame>): ProtocolFields {
  const req = exchange.request.frame;
  const res = exchange.response?.frame ?? null;
  return {
    redis: {
      command: req.command,
      argumentCount: req.argumentCount,
      replyType: res?.replyType ?? null,
      error: res?.error ?? null,
    },
  };
}
