// Test support: BTF blobs assembled from the format description (Documentation/bpf/btf.rst),
// little-endian, for the parser's tests and for feature probes against a kernel that lacks something.
export function blob(types: Buffer[], strings: string[]): Buffer {
  const str = Buffer.from(`\0${strings.join('\0')}\0`, 'latin1');
  const typeSec = Buffer.concat(types);
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr[2] = 1;
  hdr.writeUInt32LE(24, 4); // hdr_len
  hdr.writeUInt32LE(0, 8); // type_off
  hdr.writeUInt32LE(typeSec.length, 12);
  hdr.writeUInt32LE(typeSec.length, 16); // str_off
  hdr.writeUInt32LE(str.length, 20);
  return Buffer.concat([hdr, typeSec, str]);
}
export const strOff = (strings: string[], s: string) => 1 + strings.slice(0, strings.indexOf(s)).reduce((n, x) => n + x.length + 1, 0);
export function type(nameOff: number, kind: number, vlen: number, sizeOrType: number, extra: number[], kindFlag = 0): Buffer {
  const b = Buffer.alloc(12 + extra.length * 4);
  b.writeUInt32LE(nameOff, 0);
  b.writeUInt32LE(((kindFlag << 31) | (kind << 24) | vlen) >>> 0, 4);
  b.writeUInt32LE(sizeOrType, 8);
  extra.forEach((v, i) => b.writeUInt32LE(v >>> 0, 12 + i * 4));
  return b;
}
