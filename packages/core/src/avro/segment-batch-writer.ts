// A hand-written Avro writer of SegmentBatch bodies (schemas/segment-batch.v1.avsc), the
// capture agent's hottest path: avsc's generic writers were ~30% of the agent's CPU under HTTP
// load (a type check, a call and, for each long, a scratch buffer copied in, per field of each
// segment). It writes the very bytes avsc writes (segment-batch-writer.test.ts compares them on
// real captures and on random edge values) and declines, so the generic codec writes or
// explains it, any value it is not sure of. It is written for one schema: RecordCodec uses it
// only while the schema's fingerprint is SEGMENT_BATCH_WRITER_FINGERPRINT.
import type { IntHop, PodMeta, Segment, SegmentBatch, TcpSocketEvent } from '../records.js';
import type { RecordBodyWriter } from './codec.js';
import { writeZigzagLong } from './varint.js';

/** CRC-64-AVRO of the canonical segment-batch.v1 schema this writer follows, field for field */
export const SEGMENT_BATCH_WRITER_FINGERPRINT = 0x05031cbdd8dabb1dn;

/** a value this writer does not write (the generic codec then does, or says why it is invalid) */
const DECLINE = -1;
/** bytes a segment takes besides its payload, at most: 4 longs, 2 ints, a boolean, a union, the payload length */
const SEGMENT_OVERHEAD = 4 * 10 + 2 * 5 + 1 + 1 + 10;
const TCP_EVENT_OVERHEAD = 10 + 5 + 1 + 1 + 10 + 10 + 10;
const INT_HOP_BYTES = 5 + 5 + 10 + 10 + 1;

export const segmentBatchWriter: RecordBodyWriter<SegmentBatch> = {
  fingerprint: SEGMENT_BATCH_WRITER_FINGERPRINT,
  write(batch: SegmentBatch, out: Buffer, pos: number): number | null {
    if (typeof batch !== 'object' || batch === null) return null;
    const bound = upperBound(batch);
    if (bound === null) return null;
    // avsc's contract: a negative result says the buffer is too small, out.length - result fits
    if (pos + bound > out.length) return out.length - (pos + bound);
    const end = writeBatch(batch, out, pos);
    return end === DECLINE ? null : end;
  },
};

function writeBatch(b: SegmentBatch, out: Buffer, pos: number): number {
  if ((pos = writeString(out, pos, b.flowId)) < 0) return DECLINE;
  if ((pos = writeString(out, pos, b.node)) < 0) return DECLINE;
  if ((pos = writeString(out, pos, b.interfaceName)) < 0) return DECLINE;
  if ((pos = writeInt(out, pos, b.ifindex)) < 0) return DECLINE;
  if (b.transport === 'TCP') out[pos++] = 0;
  else if (b.transport === 'UDP') out[pos++] = 2;
  else return DECLINE;
  if ((pos = writeEndpoint(out, pos, b.client)) < 0) return DECLINE;
  if ((pos = writeEndpoint(out, pos, b.server)) < 0) return DECLINE;
  if (b.podRole === 'SERVER') out[pos++] = 0;
  else if (b.podRole === 'CLIENT') out[pos++] = 2;
  else return DECLINE;
  // fields with a default write it when undefined, as avsc's record writer does
  const pod = b.pod;
  if (pod === null || pod === undefined) out[pos++] = 0;
  else if ((pos = writePodMeta(out, pos, pod)) < 0) return DECLINE;
  if ((pos = writeOptionalString(out, pos, b.protocolHint)) < 0) return DECLINE;
  const segments = b.segments;
  if (!Array.isArray(segments)) return DECLINE;
  if (segments.length > 0) {
    pos = writeCount(out, pos, segments.length);
    for (let i = 0; i < segments.length; i++) {
      if ((pos = writeSegment(out, pos, segments[i]!)) < 0) return DECLINE;
    }
  }
  out[pos++] = 0;
  if ((pos = writeZigzagLong(out, pos, b.lostEventsBefore === undefined ? 0 : b.lostEventsBefore)) < 0) return DECLINE;
  if ((pos = writeOptionalString(out, pos, b.nodeInterfaceName)) < 0) return DECLINE;
  const tcpEvents = b.tcpEvents;
  if (tcpEvents !== undefined && tcpEvents.length > 0) {
    pos = writeCount(out, pos, tcpEvents.length);
    for (let i = 0; i < tcpEvents.length; i++) {
      if ((pos = writeTcpEvent(out, pos, tcpEvents[i]!)) < 0) return DECLINE;
    }
  }
  out[pos++] = 0;
  const intHops = b.intHops;
  if (intHops !== undefined && intHops.length > 0) {
    pos = writeCount(out, pos, intHops.length);
    for (let i = 0; i < intHops.length; i++) {
      if ((pos = writeIntHop(out, pos, intHops[i]!)) < 0) return DECLINE;
    }
  }
  out[pos++] = 0;
  return pos;
}

function writeSegment(out: Buffer, pos: number, s: Segment): number {
  if (typeof s !== 'object' || s === null) return DECLINE;
  if ((pos = writeZigzagLong(out, pos, s.timestampNs)) < 0) return DECLINE;
  if ((pos = writeBoolean(out, pos, s.fromClient)) < 0) return DECLINE;
  if ((pos = writeZigzagLong(out, pos, s.seq)) < 0) return DECLINE;
  if ((pos = writeZigzagLong(out, pos, s.ack)) < 0) return DECLINE;
  if ((pos = writeInt(out, pos, s.flags)) < 0) return DECLINE;
  if ((pos = writeInt(out, pos, s.wireLength)) < 0) return DECLINE;
  const payload = s.payload;
  if (!Buffer.isBuffer(payload)) return DECLINE;
  const n = payload.length;
  pos = writeCount(out, pos, n);
  if (n > 32) {
    out.set(payload, pos);
    pos += n;
  } else {
    for (let i = 0; i < n; i++) out[pos++] = payload[i]!;
  }
  const nodeTs = s.nodeTimestampNs;
  if (nodeTs === null || nodeTs === undefined) {
    out[pos++] = 0;
  } else {
    out[pos++] = 2;
    pos = writeZigzagLong(out, pos, nodeTs);
  }
  return pos;
}

function writeTcpEvent(out: Buffer, pos: number, e: TcpSocketEvent): number {
  if (typeof e !== 'object' || e === null) return DECLINE;
  if ((pos = writeZigzagLong(out, pos, e.timestampNs)) < 0) return DECLINE;
  const kind = tcpEventKindIndex(e.kind);
  if (kind < 0) return DECLINE;
  out[pos++] = kind << 1;
  if ((pos = writeBoolean(out, pos, e.fromClient)) < 0) return DECLINE;
  if ((pos = writeOptionalString(out, pos, e.oldState)) < 0) return DECLINE;
  if ((pos = writeString(out, pos, e.newState)) < 0) return DECLINE;
  return writeZigzagLong(out, pos, e.seq === undefined ? 0 : e.seq);
}

function writeIntHop(out: Buffer, pos: number, h: IntHop): number {
  if (typeof h !== 'object' || h === null) return DECLINE;
  if ((pos = writeInt(out, pos, h.ingressIfindex)) < 0) return DECLINE;
  if ((pos = writeInt(out, pos, h.egressIfindex)) < 0) return DECLINE;
  if ((pos = writeZigzagLong(out, pos, h.ingressTimeNs)) < 0) return DECLINE;
  if ((pos = writeZigzagLong(out, pos, h.egressTimeNs)) < 0) return DECLINE;
  return writeBoolean(out, pos, h.fromClient);
}

/** the TcpSocketEventKind enum's symbol index, -1 for anything else */
function tcpEventKindIndex(kind: string): number {
  switch (kind) {
    case 'STATE': return 0;
    case 'RETRANSMIT': return 1;
    case 'RESET_SENT': return 2;
    case 'RESET_RECEIVED': return 3;
    default: return -1;
  }
}

function writeEndpoint(out: Buffer, pos: number, e: { address: string; port: number }): number {
  if (typeof e !== 'object' || e === null) return DECLINE;
  if ((pos = writeString(out, pos, e.address)) < 0) return DECLINE;
  return writeInt(out, pos, e.port);
}

/** the union's record branch: avsc picks it for an object that is neither an array nor a Buffer */
function writePodMeta(out: Buffer, pos: number, p: PodMeta): number {
  if (typeof p !== 'object' || Array.isArray(p) || Buffer.isBuffer(p)) return DECLINE;
  out[pos++] = 2;
  if ((pos = writeOptionalString(out, pos, p.service)) < 0) return DECLINE;
  if ((pos = writeOptionalString(out, pos, p.namespace)) < 0) return DECLINE;
  if ((pos = writeOptionalString(out, pos, p.name)) < 0) return DECLINE;
  return writeOptionalString(out, pos, p.node);
}

/** ["null", "string"] with default null */
function writeOptionalString(out: Buffer, pos: number, s: string | null | undefined): number {
  if (s === null || s === undefined) {
    out[pos++] = 0;
    return pos;
  }
  out[pos++] = 2;
  return writeString(out, pos, s);
}

/** Avro int: avsc takes a number equal to its int32 conversion. */
function writeInt(out: Buffer, pos: number, v: number): number {
  if (typeof v !== 'number' || v !== (v | 0)) return DECLINE;
  return writeZigzagLong(out, pos, v);
}

function writeBoolean(out: Buffer, pos: number, v: boolean): number {
  if (typeof v !== 'boolean') return DECLINE;
  out[pos++] = v ? 1 : 0;
  return pos;
}

/** a non-negative length or block count below 2^31 */
function writeCount(out: Buffer, pos: number, n: number): number {
  let m = n * 2;
  while (m >= 128) {
    out[pos++] = (m & 0x7f) | 0x80;
    m = Math.floor(m / 128);
  }
  out[pos++] = m;
  return pos;
}

/**
 * Avro string: UTF-8 length, then the bytes as avsc writes them: up to 64 bytes its own loop
 * over UTF-16 units (a lone surrogate becomes its 3-byte form, ED xx xx), longer through
 * Buffer's UTF-8 writer (a lone surrogate becomes EF BF BD); both 3 bytes, as byteLength counts.
 */
function writeString(out: Buffer, pos: number, s: string): number {
  if (typeof s !== 'string') return DECLINE;
  const units = s.length;
  // ASCII, the usual case: its length is its UTF-8 length
  if (units < 64) {
    const start = pos;
    out[pos++] = units << 1;
    let i = 0;
    for (; i < units; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[pos++] = c;
    }
    if (i === units) return pos;
    pos = start;
  }
  const len = Buffer.byteLength(s);
  pos = writeCount(out, pos, len);
  if (len > 64) {
    out.write(s, pos, len, 'utf8');
    return pos + len;
  }
  for (let i = 0; i < units; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[pos++] = c;
    } else if (c < 0x800) {
      out[pos++] = (c >> 6) | 0xc0;
      out[pos++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800 && i + 1 < units && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(i + 1) & 0x03ff);
      i++;
      out[pos++] = (c >> 18) | 0xf0;
      out[pos++] = ((c >> 12) & 0x3f) | 0x80;
      out[pos++] = ((c >> 6) & 0x3f) | 0x80;
      out[pos++] = (c & 0x3f) | 0x80;
    } else {
      out[pos++] = (c >> 12) | 0xe0;
      out[pos++] = ((c >> 6) & 0x3f) | 0x80;
      out[pos++] = (c & 0x3f) | 0x80;
    }
  }
  return pos;
}

/** Bytes the batch takes at most, or null when its shape is not a SegmentBatch's (the write would decline). */
function upperBound(b: SegmentBatch): number | null {
  const segments = b.segments;
  if (!Array.isArray(segments)) return null;
  let bytes = 200; // ints, enums, union indexes, array ends, lostEventsBefore
  bytes += stringBound(b.flowId) + stringBound(b.node) + stringBound(b.interfaceName) + stringBound(b.protocolHint) + stringBound(b.nodeInterfaceName);
  const { client, server, pod } = b;
  if (typeof client === 'object' && client !== null) bytes += stringBound(client.address);
  if (typeof server === 'object' && server !== null) bytes += stringBound(server.address);
  if (typeof pod === 'object' && pod !== null) bytes += stringBound(pod.service) + stringBound(pod.namespace) + stringBound(pod.name) + stringBound(pod.node);
  bytes += segments.length * SEGMENT_OVERHEAD;
  for (let i = 0; i < segments.length; i++) {
    const payload = segments[i]?.payload;
    if (!Buffer.isBuffer(payload)) return null;
    bytes += payload.length;
  }
  const tcpEvents = b.tcpEvents;
  if (tcpEvents !== undefined) {
    if (!Array.isArray(tcpEvents)) return null;
    for (const e of tcpEvents) bytes += TCP_EVENT_OVERHEAD + stringBound(e?.oldState) + stringBound(e?.newState);
  }
  const intHops = b.intHops;
  if (intHops !== undefined) {
    if (!Array.isArray(intHops)) return null;
    bytes += 10 + intHops.length * INT_HOP_BYTES;
  }
  return bytes;
}

/** a UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair 4 for its two) */
function stringBound(s: unknown): number {
  return typeof s === 'string' ? 10 + 3 * s.length : 0;
}
