// Pairing DNS queries with responses by message id. Over TCP a server may answer pipelined
// queries out of order (RFC 7766 §7), so order alone cannot pair them: a response belongs to the
// oldest unanswered query with its id that started before it.
import type { Exchange, Framed, ProtocolFields, StitchResult } from '../protocol.js';
import { rcodeName, typeName, type DnsMessage } from './types.js';

type F = Framed<DnsMessage>;

/** Notes on a pair: what the messages say about themselves. */
export function exchangeNotes(req: DnsMessage, res: DnsMessage | null): string[] {
  const notes: string[] = [];
  if (req.response) notes.push('request: QR bit set (a response sent by the client side)');
  if (res !== null && !res.response) notes.push('response: QR bit clear (a query sent by the server side)');
  if (res?.truncated === true) notes.push('response truncated by the server (TC): the client retries over TCP');
  if (res !== null && res.answersDropped > 0) notes.push(`${res.answersDropped} answers not kept`);
  return notes;
}

export function stitch(requests: F[], responses: F[], final: boolean): StitchResult<DnsMessage> {
  const transactions: Exchange<DnsMessage>[] = [];
  const paired = new Set<F>();
  const leftResponses: F[] = [];
  let orphanResponses = 0;
  for (const res of responses) {
    const req = requests.find((q) => !paired.has(q) && q.frame.id === res.frame.id && q.startNs <= res.startNs);
    if (req === undefined) {
      if (final) orphanResponses++;
      else leftResponses.push(res); // its query may still be in flight (reordered capture)
      continue;
    }
    paired.add(req);
    transactions.push({ request: req, response: res, notes: exchangeNotes(req.frame, res.frame) });
  }
  let leftRequests = requests.filter((q) => !paired.has(q));
  if (final) {
    for (const req of leftRequests) transactions.push({ request: req, response: null, notes: ['no response captured', ...exchangeNotes(req.frame, null)] });
    leftRequests = [];
  }
  // Transactions in query order, as on the wire.
  transactions.sort((a, b) => a.request.index - b.request.index);
  return { transactions, leftover: { requests: leftRequests, responses: leftResponses }, orphanResponses };
}

export function describe(exchange: Exchange<DnsMessage>): ProtocolFields {
  const req = exchange.request.frame;
  const res = exchange.response?.frame ?? null;
  // The question of the query; the response's when the query was cut before its question.
  const q = req.questions[0] ?? res?.questions[0] ?? null;
  return {
    dns: {
      id: req.id,
      name: q?.name ?? '',
      type: q === null ? '' : typeName(q.type),
      rcode: res === null ? null : rcodeName(res.rcode),
      answers: res?.answers ?? [],
    },
  };
}
