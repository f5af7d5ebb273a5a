// Pairing Kafka requests with responses by correlation id. A broker answers the requests of one
// connection in order, so a request older than one that got its response lost its own to the
// capture. Produce with acks=0 gets no response at all: it is a transaction on its own.
import type { Exchange, Framed, ProtocolFields, StitchResult } from '../protocol.js';
import { apiName } from './apis.js';
import type { KafkaMessage } from './types.js';

type F = Framed<KafkaMessage>;

function notesOf(req: F, res: F | null): string[] {
  const notes = [...req.frame.notes];
  if (req.frame.topicsDropped > 0) notes.push(`${req.frame.topicsDropped} more topics not kept`);
  if (res !== null) notes.push(...res.frame.notes);
  return notes;
}

export function stitch(requests: F[], responses: F[], final: boolean): StitchResult<KafkaMessage> {
  const transactions: Exchange<KafkaMessage>[] = [];
  const open: F[] = [];
  for (const req of requests) {
    if (req.frame.expectsResponse) open.push(req);
    else transactions.push({ request: req, response: null, notes: ['acks=0: no response expected', ...notesOf(req, null)] });
  }
  let orphanResponses = 0;
  for (const res of responses) {
    const j = open.findIndex((req) => req.frame.correlationId === res.frame.correlationId && req.startNs <= res.startNs);
    if (j < 0) { orphanResponses++; continue; }
    for (const lost of open.splice(0, j)) {
      transactions.push({ request: lost, response: null, notes: ['response not captured', ...notesOf(lost, null)] });
    }
    const req = open.shift() as F;
    transactions.push({ request: req, response: res, notes: notesOf(req, res) });
  }
  if (final) {
    for (const req of open) transactions.push({ request: req, response: null, notes: ['no response captured', ...notesOf(req, null)] });
    return { transactions, leftover: { requests: [], responses: [] }, orphanResponses };
  }
  return { transactions, leftover: { requests: open, responses: [] }, orphanResponses };
}

export function describe(exchange: Exchange<KafkaMessage>): ProtocolFields {
  const req = exchange.request.frame;
  const res = exchange.response?.frame ?? null;
  const apiKey = req.apiKey ?? -1;
  return {
    kafka: {
      apiKey,
      apiName: apiName(apiKey),
      apiVersion: req.apiVersion ?? -1,
      correlationId: req.correlationId,
      clientId: req.clientId,
      topics: req.topics,
      errorCode: res?.errorCode ?? null,
    },
  };
}
