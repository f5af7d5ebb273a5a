// HPACK Huffman decoding (RFC 7541 §5.2). The code is built into a binary trie once, then into
// a table that walks it four bits at a time (a code is at least 5 bits long, so a nibble ends
// at most one symbol). A string must end with at most 7 padding bits, all ones (a prefix of
// EOS), and never contain EOS itself.
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './huffman-table.js';

const EOS = 256;
// next[node * 2 + bit]: > 0 child node, < 0 leaf -(symbol + 1). The code is complete, so every
// slot ends up set; the root (0) is never a child.
const next = new Int32Array(2 * 512);
let nodes = 1;

function insert(symbol: number, code: number, length: number): void {
  let node = 0;
  for (let i = length - 1; i >= 0; i--) {
    const slot = node * 2 + ((code / 2 ** i) & 1); // code may exceed 2^31: no bit shifts
    if (i === 0) { next[slot] = -(symbol + 1); return; }
    if (next[slot] === 0) next[slot] = nodes++;
    node = next[slot] as number;
  }
}
for (let s = 0; s < 256; s++) insert(s, HUFFMAN_CODES[s] as number, HUFFMAN_LENGTHS[s] as number);
insert(EOS, 0x3fffffff, 30);

// Per node: bits since the last symbol, and whether they are all ones (valid as padding).
const depth = new Uint8Array(nodes);
const ones = new Uint8Array(nodes);
ones[0] = 1;
for (let n = 0; n < nodes; n++) {
  for (let bit = 0; bit < 2; bit++) {
    const c = next[n * 2 + bit] as number;
    if (c > 0) { depth[c] = (depth[n] as number) + 1; ones[c] = (ones[n] as number) & bit; }
  }
}

// Per (node, nibble): the node after it, and the symbol it completed (-1 none, EOS = error).
const NIB_NODE = new Uint16Array(nodes * 16);
const NIB_SYM = new Int16Array(nodes * 16);
for (let n = 0; n < nodes; n++) {
  for (let nib = 0; nib < 16; nib++) {
    let node = n;
    let sym = -1;
    for (let b = 3; b >= 0; b--) {
      const c = next[node * 2 + ((nib >> b) & 1)] as number;
      if (c < 0) { sym = -c - 1; node = 0; } else node = c;
    }
    NIB_NODE[n * 16 + nib] = node;
    NIB_SYM[n * 16 + nib] = sym;
  }
}

// Decoded bytes land here; the shortest code is 5 bits, so n input bytes give < 2n symbols.
let scratch = Buffer.alloc(4096);

/** The Huffman-coded string buf[start, end) as latin1, or null if the coding is invalid. */
export function huffmanDecode(buf: Buffer, start: number, end: number): string | null {
  const need = (end - start) * 2;
  if (scratch.length < need) scratch = Buffer.alloc(need);
  let out = 0;
  let node = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i] as number;
    let k = node * 16 + (byte >> 4);
    let sym = NIB_SYM[k] as number;
    if (sym >= 0) { if (sym === EOS) return null; scratch[out++] = sym; }
    node = NIB_NODE[k] as number;
    k = node * 16 + (byte & 15);
    sym = NIB_SYM[k] as number;
    if (sym >= 0) { if (sym === EOS) return null; scratch[out++] = sym; }
    node = NIB_NODE[k] as number;
  }
  if ((depth[node] as number) > 7 || ones[node] !== 1) return null;
  return scratch.toString('latin1', 0, out);
}
