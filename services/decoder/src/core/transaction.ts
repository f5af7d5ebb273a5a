// A stitched exchange becomes a Transaction record: ids, positions on the wire, timings, sizes,
// completeness with the reasons why not, and the protocol's own fields.
import { noProtocolFields, type ProtocolFieldsOfTransaction, type SegmentBatch, type Transaction } from '@clovisor/core';
import type { Exchange, Framed, Protocol } from '../protocols/protocol.js';

function frameNotes(side: 'request' | 'response', f: Framed<unknown>, into: string[]): void {
  if (f.truncatedBytes > 0) into.push(`${side}: ${f.truncatedBytes} bytes not captured (snaplen)`);
  if (f.lostBytes > 0) into.push(`${side}: ${f.lostBytes} bytes lost in capture gap`);
  for (const n of f.notes) into.push(`${side}: ${n}`);
}

function whole(f: Framed<unknown>): boolean {
  return !f.partial && f.truncatedBytes === 0 && f.lostBytes === 0;
}

/** The batch without its segments and hop reports: a flow keeps it between batches and must not pin those. */
export function metaOf(batch: SegmentBatch): SegmentBatch {
  const { intHops: _held, ...meta } = batch;
  return { ...meta, segments: [] };
}

export function buildTransaction(meta: SegmentBatch, protocol: Pick<Protocol<unknown, unknown>, 'name' | 'describe'>, ex: Exchange<unknown>): Transaction {
  const req = ex.request;
  const res = ex.response;
  const notes: string[] = [];
  frameNotes('request', req, notes);
  // Requests lost before this one are not counted: its messageIndex may be too low.
  if (req.afterResync) notes.push('request: follows missing or unparsable bytes; earlier requests may be missing');
  if (res !== null) frameNotes('response', res, notes);
  notes.push(...ex.notes);
  return {
    id: `${meta.flowId}:${req.index}`,
    flowId: meta.flowId,
    messageIndex: req.index,
    protocol: protocol.name,
    transport: meta.transport,
    node: meta.node,
    interfaceName: meta.interfaceName,
    podRole: meta.podRole,
    pod: meta.pod,
    peer: null,
    client: meta.client,
    server: meta.server,
    requestSeq: req.seq,
    requestStartNs: req.startNs,
    requestEndNs: req.endNs,
    responseStartNs: res?.startNs ?? null,
    responseEndNs: res?.endNs ?? null,
    requestBytes: req.wireBytes,
    responseBytes: res?.wireBytes ?? 0,
    complete: res !== null && whole(req) && whole(res),
    notes,
    // a protocol sets only its own fields; the others stay empty
    ...({ ...noProtocolFields(), ...protocol.describe(ex) } as ProtocolFieldsOfTransaction),
  };
}
