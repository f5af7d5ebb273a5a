// Decoders of Telemetry Reports written from the specifications' bit diagrams: every field is
// read by its bit offset and width from the diagram (bit 0 = the MSB of the first byte), without
// the encoder's code or constants, so the tests that check the encoders with them cannot have an
// encoder error cancel out. Also what `clovisor demo` decodes the reports it receives with.
//   v0.5: ARCHITECTURE.md "INT telemetry report" (int-host-reporter's format).
//   v2.0: P4.org Telemetry Report Format Specification v2.0, §3.2, §3.3, §3.3.1.

/** Reads `width` (≤ 64) bits at bit `offset` of `buf`, big-endian. */
export function readBits(buf: Buffer, offset: number, width: number): bigint {
  let value = 0n;
  for (let i = 0; i < width; i++) {
    const bitIndex = offset + i;
    const byte = buf[bitIndex >> 3];
    if (byte === undefined) throw new RangeError(`report too short: bit ${bitIndex} of ${buf.length * 8}`);
    value = (value << 1n) | BigInt((byte >> (7 - (bitIndex & 7))) & 1);
  }
  return value;
}

const n = (buf: Buffer, offset: number, width: number): number => Number(readBits(buf, offset, width));

export interface DecodedV05 {
  version: number;
  nproto: number;
  d: number;
  q: number;
  f: number;
  reserved: number;
  hwId: number;
  seqNo: number;
  ingressTstamp: number;
  switchId: number;
  ingressPort: number;
  egressPort: number;
  queueId: number;
  /** flow reports */
  queueOccupancy: number | null;
  egressTstamp: number | null;
  /** drop reports */
  dropReason: number | null;
  pad: number | null;
  inner: Buffer;
}

export function decodeV05(buf: Buffer): DecodedV05 {
  const nproto = n(buf, 4, 4);
  const common = {
    version: n(buf, 0, 4), nproto, d: n(buf, 8, 1), q: n(buf, 9, 1), f: n(buf, 10, 1), reserved: n(buf, 11, 15), hwId: n(buf, 26, 6),
    seqNo: n(buf, 32, 32), ingressTstamp: n(buf, 64, 32),
    switchId: n(buf, 96, 32), ingressPort: n(buf, 128, 16), egressPort: n(buf, 144, 16), queueId: n(buf, 160, 8),
  };
  if (nproto === 2) {
    return { ...common, queueOccupancy: n(buf, 168, 24), egressTstamp: n(buf, 192, 32), dropReason: null, pad: null, inner: buf.subarray(28) };
  }
  if (nproto === 1) {
    return { ...common, queueOccupancy: null, egressTstamp: null, dropReason: n(buf, 168, 8), pad: n(buf, 176, 16), inner: buf.subarray(24) };
  }
  throw new Error(`v0.5 report with nproto ${nproto}: expected 1 (drop) or 2 (switch-local)`);
}

export interface DecodedV2 {
  version: number;
  hwId: number;
  seqNo: number;
  nodeId: number;
  repType: number;
  inType: number;
  reportLength: number;
  mdLength: number;
  d: number;
  q: number;
  f: number;
  i: number;
  rsvd: number;
  repMdBits: number;
  domainSpecificId: number;
  dsMdBits: number;
  dsMdStatus: number;
  /** the metadata the RepMdBits announce (null when absent) */
  ingressInterface: number | null;
  egressInterface: number | null;
  hopLatency: number | null;
  queueId: number | null;
  queueOccupancy: number | null;
  ingressTimestamp: bigint | null;
  egressTimestamp: bigint | null;
  dropQueueId: number | null;
  dropReason: number | null;
  dropPadding: number | null;
  /** the truncated packet: Report Length - (2 + MD Length) words */
  inner: Buffer;
  /** the report's size in bytes as the header says: 12 + 4 × Report Length */
  declaredBytes: number;
}

/** RepMdBits bit k (bit 0 = MSB of the 16) and the bytes of metadata it stands for. */
const REP_MD_SIZES: Array<[bit: number, bytes: number]> = [
  [1, 4], [2, 4], [3, 4], [4, 8], [5, 8], [6, 8], [7, 4], [8, 4], [15, 4],
];

export function decodeV2(buf: Buffer): DecodedV2 {
  const reportLength = n(buf, 64 + 8, 8);
  const mdLength = n(buf, 64 + 16, 8);
  const repMdBits = n(buf, 96, 16);
  const has = (k: number): boolean => readBits(buf, 96 + k, 1) === 1n;
  let at = 160; // bits: group 64 + individual header 32 + main contents 64
  const field = <T>(k: number, read: (bit: number) => T): T | null => {
    if (!has(k)) return null;
    const value = read(at);
    at += 8 * REP_MD_SIZES.find(([b]) => b === k)![1];
    return value;
  };
  for (let k = 9; k <= 14; k++) if (has(k)) throw new Error(`RepMdBits bit ${k} is reserved`);
  if (has(0)) throw new Error('RepMdBits bit 0 is reserved');
  const interfaces = field(1, (b) => [n(buf, b, 16), n(buf, b + 16, 16)] as const);
  const hopLatency = field(2, (b) => n(buf, b, 32));
  const queue = field(3, (b) => [n(buf, b, 8), n(buf, b + 8, 24)] as const);
  const ingressTimestamp = field(4, (b) => readBits(buf, b, 64));
  const egressTimestamp = field(5, (b) => readBits(buf, b, 64));
  field(6, () => null);
  field(7, () => null);
  field(8, () => null);
  const drop = field(15, (b) => [n(buf, b, 8), n(buf, b + 8, 8), n(buf, b + 16, 16)] as const);
  const mdBytesRead = at / 8 - 20;
  if (mdBytesRead !== mdLength * 4) throw new Error(`MD Length ${mdLength} words, but RepMdBits announce ${mdBytesRead} bytes`);
  const declaredBytes = 12 + 4 * reportLength;
  return {
    version: n(buf, 0, 4), hwId: n(buf, 4, 6), seqNo: n(buf, 10, 22), nodeId: n(buf, 32, 32),
    repType: n(buf, 64, 4), inType: n(buf, 68, 4), reportLength, mdLength,
    d: n(buf, 88, 1), q: n(buf, 89, 1), f: n(buf, 90, 1), i: n(buf, 91, 1), rsvd: n(buf, 92, 4),
    repMdBits, domainSpecificId: n(buf, 112, 16), dsMdBits: n(buf, 128, 16), dsMdStatus: n(buf, 144, 16),
    ingressInterface: interfaces?.[0] ?? null, egressInterface: interfaces?.[1] ?? null, hopLatency,
    queueId: queue?.[0] ?? null, queueOccupancy: queue?.[1] ?? null, ingressTimestamp, egressTimestamp,
    dropQueueId: drop?.[0] ?? null, dropReason: drop?.[1] ?? null, dropPadding: drop?.[2] ?? null,
    inner: buf.subarray(at / 8, 12 + 4 * reportLength),
    declaredBytes,
  };
}

export type DecodedReport = { version: 0; report: DecodedV05; bytes: Buffer } | { version: 2; report: DecodedV2; bytes: Buffer };

/** One datagram, by its version nibble (0 → v0.5, 2 → v2.0); throws on anything else. */
export function decodeReport(bytes: Buffer): DecodedReport {
  const version = Number(readBits(bytes, 0, 4));
  if (version === 0) return { version: 0, report: decodeV05(bytes), bytes };
  if (version === 2) return { version: 2, report: decodeV2(bytes), bytes };
  throw new Error(`report version ${version}: expected 0 (v0.5) or 2 (v2.0)`);
}
