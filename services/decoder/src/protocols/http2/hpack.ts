// HPACK header block decoding (RFC 7541): integers, string literals (plain or Huffman), the
// static table and one dynamic table per direction. After a capture gap the entries inserted
// before it are unknown; entries inserted after it are exact (the table is FIFO, so the newest
// entries are the lowest dynamic indices), so references to them still decode and references
// past them are reported as unknown instead of being guessed.
import { huffmanDecode } from './huffman.js';
import { STATIC_TABLE } from './static-table.js';

/** Memory bound of one dynamic table, whatever size the peer announces. */
export const MAX_DYNAMIC_TABLE = 64 * 1024;
const ENTRY_OVERHEAD = 32;

export class DynamicTable {
  private names: string[] = [];
  private values: string[] = [];
  private head = 0; // oldest live entry
  size = 0;
  maxSize = 4096;
  /** entries older than the known ones may exist (a header block was missed) */
  unknownTail = false;

  get length(): number { return this.names.length - this.head; }

  /** 1-based dynamic index → entry, 'unknown' when it may exist but was missed, null when invalid. */
  get(index: number): [string, string] | 'unknown' | null {
    const i = this.names.length - index;
    if (index >= 1 && i >= this.head) return [this.names[i] as string, this.values[i] as string];
    return this.unknownTail ? 'unknown' : null;
  }

  insert(name: string, value: string): void {
    const s = name.length + value.length + ENTRY_OVERHEAD;
    this.evictTo(this.maxSize - s);
    if (s > this.maxSize) return; // an entry larger than the table empties it (§4.4)
    this.names.push(name);
    this.values.push(value);
    this.size += s;
  }

  setMaxSize(n: number): void {
    this.maxSize = n;
    this.evictTo(n);
  }

  /** Forget everything: what the table holds is no longer known. */
  lose(): void {
    this.names = [];
    this.values = [];
    this.head = 0;
    this.size = 0;
    this.unknownTail = true;
  }

  private evictTo(limit: number): void {
    while (this.size > limit && this.head < this.names.length) {
      this.size -= (this.names[this.head] as string).length + (this.values[this.head] as string).length + ENTRY_OVERHEAD;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.names.length) {
      this.names = this.names.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }
}

export interface FieldSink {
  field(name: string, value: string): void;
  /** a field referenced an entry lost to a capture gap */
  unknown(): void;
}

// Cursor of the block being decoded (module scope: no allocation per integer).
let pos = 0;

/** RFC 7541 §5.1 integer with an n-bit prefix at pos, or -1 (truncated or > 2^28). */
function readInt(buf: Buffer, end: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  let v = (buf[pos++] as number) & max;
  if (v < max) return v;
  for (let m = 0; pos < end; m += 7) {
    const b = buf[pos++] as number;
    v += (b & 0x7f) * 2 ** m;
    if (v > 2 ** 28) return -1;
    if ((b & 0x80) === 0) return v;
  }
  return -1;
}

/** §5.2 string literal at pos, or null. */
function readString(buf: Buffer, end: number): string | null {
  if (pos >= end) return null;
  const huffman = ((buf[pos] as number) & 0x80) !== 0;
  const len = readInt(buf, end, 7);
  if (len < 0 || len > end - pos) return null;
  const start = pos;
  pos += len;
  return huffman ? huffmanDecode(buf, start, pos) : buf.toString('latin1', start, pos);
}

function lookup(index: number, table: DynamicTable): [string, string] | 'unknown' | null {
  if (index >= 1 && index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as [string, string];
  return table.get(index - STATIC_TABLE.length);
}

/** Decode the header block buf[start, end) into sink, updating table. Returns an error or null. */
export function decodeHeaderBlock(buf: Buffer, start: number, end: number, table: DynamicTable, sink: FieldSink): string | null {
  pos = start;
  while (pos < end) {
    const b = buf[pos] as number;
    if ((b & 0x80) !== 0) { // §6.1 indexed field
      const index = readInt(buf, end, 7);
      const e = index <= 0 ? null : lookup(index, table);
      if (e === null) return 'bad header index';
      if (e === 'unknown') sink.unknown(); else sink.field(e[0], e[1]);
      continue;
    }
    if ((b & 0xe0) === 0x20) { // §6.3 dynamic table size update
      const size = readInt(buf, end, 5);
      if (size < 0 || size > MAX_DYNAMIC_TABLE) return 'bad table size update';
      table.setMaxSize(size);
      continue;
    }
    const indexing = (b & 0xc0) === 0x40; // §6.2.1, else §6.2.2/§6.2.3 (not stored)
    const index = readInt(buf, end, indexing ? 6 : 4);
    if (index < 0) return 'truncated header index';
    let name: string | null | 'unknown';
    if (index === 0) name = readString(buf, end);
    else {
      const e = lookup(index, table);
      if (e === null) return 'bad header name index';
      name = e === 'unknown' ? 'unknown' : e[0];
    }
    if (name === null) return 'bad header name';
    const value = readString(buf, end);
    if (value === null) return 'bad header value';
    if (name === 'unknown') {
      sink.unknown();
      if (indexing) table.lose(); // an entry of unknown size went in: nothing is exact any more
      continue;
    }
    if (indexing) table.insert(name, value);
    sink.field(name, value);
  }
  return null;
}
