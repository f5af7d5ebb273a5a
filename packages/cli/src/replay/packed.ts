// Byte strings to and from a worker thread in one transferable buffer. Posting a Buffer copies
// its whole backing ArrayBuffer (often an 8 KiB pool slab, or a whole Kafka fetch response);
// packing copies just the bytes once, and the transfer moves them without another copy.

export interface Packed {
  bytes: Uint8Array;
  /** end offset of each entry in bytes */
  ends: number[];
}

export function pack(values: readonly Uint8Array[]): Packed {
  let total = 0;
  for (const v of values) total += v.byteLength;
  const bytes = new Uint8Array(total);
  const ends: number[] = [];
  let at = 0;
  for (const v of values) {
    bytes.set(v, at);
    at += v.byteLength;
    ends.push(at);
  }
  return { bytes, ends };
}

/** Buffers viewing the packed bytes (no copy). */
export function unpack(p: Packed): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (const end of p.ends) {
    out.push(Buffer.from(p.bytes.buffer, p.bytes.byteOffset + start, end - start));
    start = end;
  }
  return out;
}
