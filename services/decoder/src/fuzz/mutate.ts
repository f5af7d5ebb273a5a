// Fuzz inputs: segment lists that are pure noise, or real flows damaged the ways networks and
// captures damage them (and a few ways they do not, to probe the parsers' length handling).
import { TcpFlags, type Segment } from '@clovisor/core';
import type { Prng } from './prng.js';

export type Mutation = (rng: Prng, segments: Segment[], donors: readonly Segment[]) => Segment[];

/** a copy of the segment with its own payload buffer, so mutations never touch the corpus */
function own(s: Segment): Segment {
  return { ...s, payload: Buffer.from(s.payload) };
}

function withPayload(segments: Segment[]): number[] {
  return segments.flatMap((s, i) => (s.payload.length > 0 ? [i] : []));
}

const bitFlips: Mutation = (rng, segments) => {
  const idx = withPayload(segments);
  for (let n = 1 + rng.int(8); n > 0 && idx.length > 0; n--) {
    const s = segments[rng.pick(idx)]!;
    const at = rng.int(s.payload.length);
    s.payload[at] = s.payload[at]! ^ (1 << rng.int(8));
  }
  return segments;
};

/** cut a payload short; half the time the wire length says so too (snaplen), else it lies */
const truncate: Mutation = (rng, segments) => {
  const idx = withPayload(segments);
  if (idx.length === 0) return segments;
  const i = rng.pick(idx);
  const s = segments[i]!;
  const keep = rng.int(s.payload.length);
  segments[i] = { ...s, payload: s.payload.subarray(0, keep), wireLength: rng.chance(0.5) ? s.wireLength : keep };
  return segments;
};

/** bytes of another flow (maybe another protocol) pasted into a payload */
const splice: Mutation = (rng, segments, donors) => {
  const idx = withPayload(segments);
  const donor = rng.pick(donors).payload;
  if (idx.length === 0 || donor.length === 0) return segments;
  const i = rng.pick(idx);
  const s = segments[i]!;
  const from = rng.int(donor.length);
  const piece = donor.subarray(from, from + 1 + rng.int(Math.min(512, donor.length - from)));
  const at = rng.int(s.payload.length + 1);
  const payload = Buffer.concat([s.payload.subarray(0, at), piece, s.payload.subarray(at + (rng.chance(0.5) ? piece.length : 0))]);
  segments[i] = { ...s, payload, wireLength: payload.length };
  return segments;
};

const EXTREMES = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

/** length fields: a binary 1/2/4-byte slot, or a decimal/hex number in text, set to an extreme */
const lengths: Mutation = (rng, segments) => {
  const idx = withPayload(segments);
  if (idx.length === 0) return segments;
  const s = segments[rng.pick(idx)]!;
  const p = s.payload;
  const text = p.toString('latin1');
  const numbers = [...text.matchAll(/[0-9a-fA-F]+/g)].filter((m) => m[0].length <= 12);
  if (numbers.length > 0 && rng.chance(0.5)) {
    const m = rng.pick(numbers);
    const value = String(rng.pick([0, 1, 9, 99999999, 4294967296, 2 ** 53, rng.u32()])).slice(0, m[0].length).padStart(m[0].length, '9');
    p.write(value, m.index, 'latin1');
    return segments;
  }
  const width = rng.pick([1, 2, 4]);
  if (p.length < width) return segments;
  const at = rng.int(p.length - width + 1);
  const v = rng.pick(EXTREMES) >>> 0;
  if (width === 1) p[at] = v & 0xff;
  else if (width === 2) p.writeUInt16BE(v & 0xffff, at);
  else p.writeUInt32BE(v, at);
  return segments;
};

const duplicate: Mutation = (rng, segments) => {
  if (segments.length === 0) return segments;
  const i = rng.int(segments.length);
  segments.splice(rng.int(segments.length + 1), 0, own(segments[i]!));
  return segments;
};

const reorder: Mutation = (rng, segments) => {
  for (let n = 1 + rng.int(4); n > 0 && segments.length > 1; n--) {
    const a = rng.int(segments.length);
    const b = rng.int(segments.length);
    [segments[a], segments[b]] = [segments[b]!, segments[a]!];
  }
  return segments;
};

const drop: Mutation = (rng, segments) => {
  if (segments.length > 1) segments.splice(rng.int(segments.length), 1 + rng.int(3));
  return segments;
};

/** sequence numbers off (wrap-around included), flags set where they make no sense */
const tcpHeader: Mutation = (rng, segments) => {
  if (segments.length === 0) return segments;
  const i = rng.int(segments.length);
  const s = segments[i]!;
  const flags = rng.pick([TcpFlags.SYN, TcpFlags.FIN, TcpFlags.RST, TcpFlags.SYN | TcpFlags.ACK, 0xff, 0]);
  const seq = rng.chance(0.5) ? (s.seq + rng.pick([1, -1, 0x7fffffff, 0x80000000, rng.u32()])) >>> 0 : s.seq;
  segments[i] = { ...s, seq, flags: rng.chance(0.5) ? flags : s.flags, fromClient: rng.chance(0.1) ? !s.fromClient : s.fromClient };
  return segments;
};

export const MUTATIONS: Record<string, Mutation> = { bitFlips, truncate, splice, lengths, duplicate, reorder, drop, tcpHeader };

/** 1-4 mutations of a real flow's segments; returns the damaged copy and what was done. */
export function mutateFlow(rng: Prng, segments: readonly Segment[], donors: readonly Segment[]): { segments: Segment[]; ops: string[] } {
  let out = segments.map(own);
  const ops: string[] = [];
  const names = Object.keys(MUTATIONS);
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const name = rng.pick(names);
    out = MUTATIONS[name]!(rng, out, donors);
    ops.push(name);
  }
  return { segments: out, ops };
}

/** Noise: random payloads (sometimes behind a real first few bytes, to get past detection),
 * random sizes, sequence numbers that mostly follow on, random flags now and then. */
export function randomSegments(rng: Prng, donors: readonly Segment[], startNs: bigint): Segment[] {
  const out: Segment[] = [];
  const seq = { client: rng.u32(), server: rng.u32() };
  if (rng.chance(0.3)) {
    out.push({ timestampNs: startNs, fromClient: true, seq: seq.client, ack: 0, flags: TcpFlags.SYN, wireLength: 0, payload: Buffer.alloc(0) });
    seq.client = (seq.client + 1) >>> 0;
  }
  for (let n = 1 + rng.int(8); n > 0; n--) {
    const fromClient = rng.chance(0.6);
    const size = rng.chance(0.05) ? rng.int(9000) : rng.int(1500);
    let payload = rng.bytes(size);
    if (rng.chance(0.4)) {
      const donor = rng.pick(donors).payload;
      payload = Buffer.concat([donor.subarray(0, 1 + rng.int(24)), payload]);
    }
    const key = fromClient ? 'client' : 'server';
    const flags = rng.chance(0.1) ? rng.int(256) : TcpFlags.ACK | TcpFlags.PSH;
    out.push({ timestampNs: startNs + BigInt(out.length * 1000), fromClient, seq: seq[key], ack: 0, flags, wireLength: payload.length, payload });
    seq[key] = (seq[key] + (rng.chance(0.9) ? payload.length : rng.u32())) >>> 0;
  }
  return out;
}
