// CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form, as the Avro spec
// defines it for single-object encoding.

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    table.push(fp);
  }
  return table;
})();

/** Fingerprint as an unsigned 64-bit bigint. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

/** The 8 little-endian bytes that follow `C3 01` in a single-object encoded message. */
export function fingerprintBytes(fingerprint: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fingerprint);
  return out;
}
