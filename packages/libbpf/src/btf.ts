// A small reader of BTF (the kernel's type information, /sys/kernel/btf/vmlinux): enum values by
// name, and whether a named type exists. The drop reasons of kfree_skb are numbered differently
// on every kernel, so their names must come from the running kernel's own `enum skb_drop_reason`.
// Format: Documentation/bpf/btf.rst. The parser is pure (bytes in); kernelBtf() reads the file.
import { readFileSync } from 'node:fs';
import { BpfError } from './errors.js';

export const VMLINUX_BTF_PATH = '/sys/kernel/btf/vmlinux';

const BTF_MAGIC = 0xeb9f;
const TYPE_HEADER = 12;

const Kind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** Bytes that follow the 12-byte type header, by kind (vlen = member count). */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.INT: case Kind.VAR: case Kind.DECL_TAG: return 4;
    case Kind.ARRAY: return 12;
    case Kind.STRUCT: case Kind.UNION: case Kind.DATASEC: case Kind.ENUM64: return vlen * 12;
    case Kind.ENUM: case Kind.FUNC_PROTO: return vlen * 8;
    case Kind.PTR: case Kind.FWD: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT:
    case Kind.FUNC: case Kind.FLOAT: case Kind.TYPE_TAG: return 0;
    default: return -1;
  }
}

interface BtfType {
  kind: number;
  name: string;
  vlen: number;
  /** ENUM/ENUM64: values are signed */
  signed: boolean;
  /** offset of the kind-specific data */
  extra: number;
}

/** A parsed BTF blob: its named types (first of each kind and name) and their enum members. */
export class Btf {
  private readonly types: BtfType[] = [];
  private readonly byName = new Map<string, BtfType[]>();
  private readonly u32: (off: number) => number;
  private readonly i32: (off: number) => number;
  private readonly str: (off: number) => string;

  /** Parses a raw BTF blob. Throws BpfError EBADMSG when it is not one. */
  constructor(bytes: Buffer) {
    if (bytes.length < 24) throw new BpfError('EBADMSG', `BTF of ${bytes.length} bytes is too short`);
    const le = bytes.readUInt16LE(0) === BTF_MAGIC;
    if (!le && bytes.readUInt16BE(0) !== BTF_MAGIC) throw new BpfError('EBADMSG', 'not BTF: bad magic');
    this.u32 = le ? (o) => bytes.readUInt32LE(o) : (o) => bytes.readUInt32BE(o);
    this.i32 = le ? (o) => bytes.readInt32LE(o) : (o) => bytes.readInt32BE(o);
    const hdrLen = this.u32(4);
    const typeStart = hdrLen + this.u32(8);
    const typeEnd = typeStart + this.u32(12);
    const strStart = hdrLen + this.u32(16);
    const strEnd = strStart + this.u32(20);
    if (typeEnd > bytes.length || strEnd > bytes.length) throw new BpfError('EBADMSG', 'BTF sections run past the end of the data');
    const str = (off: number): string => {
      const at = strStart + off;
      if (off === 0 || at >= strEnd) return '';
      const end = bytes.indexOf(0, at);
      return bytes.toString('latin1', at, end < 0 || end > strEnd ? strEnd : end);
    };
    this.str = str;
    for (let off = typeStart; off < typeEnd; ) {
      if (off + TYPE_HEADER > typeEnd) throw new BpfError('EBADMSG', `BTF type at ${off} is truncated`);
      const info = this.u32(off + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const extra = extraBytes(kind, vlen);
      if (extra < 0) throw new BpfError('EBADMSG', `BTF type at ${off} has unknown kind ${kind}`);
      const t: BtfType = { kind, name: str(this.u32(off)), vlen, signed: info >>> 31 === 1, extra: off + TYPE_HEADER };
      this.types.push(t);
      if (t.name !== '') {
        const list = this.byName.get(t.name);
        if (list) list.push(t);
        else this.byName.set(t.name, [t]);
      }
      off += TYPE_HEADER + extra;
    }
  }

  /** Number of types (without the implicit void type 0). */
  get typeCount(): number {
    return this.types.length;
  }

  /** Whether a type of that name exists, e.g. `btf_trace_kfree_skb`, `bpf_cast_to_kern_ctx` (kind 'func'). */
  hasType(name: string, kind?: 'typedef' | 'func' | 'struct' | 'enum'): boolean {
    const want = kind === undefined ? null : { typedef: Kind.TYPEDEF, func: Kind.FUNC, struct: Kind.STRUCT, enum: Kind.ENUM }[kind];
    return (this.byName.get(name) ?? []).some((t) => want === null || t.kind === want);
  }

  /** Members of an enum (ENUM or ENUM64) as value → name, or null when there is no such enum. */
  enumValues(name: string): Map<number, string> | null {
    const t = (this.byName.get(name) ?? []).find((x) => x.kind === Kind.ENUM || x.kind === Kind.ENUM64);
    if (t === undefined) return null;
    const out = new Map<number, string>();
    const step = t.kind === Kind.ENUM ? 8 : 12;
    for (let i = 0; i < t.vlen; i++) {
      const m = t.extra + i * step;
      // ENUM64: lo32 then hi32; drop reasons fit in 32 bits, larger values are not representable as number keys
      let value: number;
      if (t.kind === Kind.ENUM) value = t.signed ? this.i32(m + 4) : this.u32(m + 4);
      else value = this.u32(m + 8) === 0 ? this.u32(m + 4) : Number.NaN;
      if (!Number.isNaN(value)) out.set(value, this.str(this.u32(m)));
    }
    return out;
  }
}

/**
 * The running kernel's BTF, parsed anew on each call (all of vmlinux: ~20 MB of heap while it
 * is held; callers keep what they need of it, not the Btf). Throws BpfError ENOTSUP when the
 * kernel has none.
 */
export function kernelBtf(path = VMLINUX_BTF_PATH): Btf {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new BpfError('ENOTSUP', `cannot read kernel BTF ${path} (${(err as Error).message}): this kernel was built without CONFIG_DEBUG_INFO_BTF; INT drop reports need it`, { cause: err });
  }
  return new Btf(bytes);
}

const DROP_REASON_PREFIX = 'SKB_DROP_REASON_';

/**
 * The kernel's `enum skb_drop_reason` as value → name without the `SKB_DROP_REASON_` prefix
 * (IP_INNOROUTES, QDISC_DROP, …; SKB_NOT_DROPPED_YET and SKB_CONSUMED keep their names).
 * Throws BpfError ENOTSUP when the BTF has no such enum (kernels before 5.17).
 */
export function dropReasonNames(btf: Btf): Map<number, string> {
  const values = btf.enumValues('skb_drop_reason');
  if (values === null) throw new BpfError('ENOTSUP', 'this kernel has no enum skb_drop_reason (needs Linux 5.17 or newer)');
  const out = new Map<number, string>();
  for (const [v, name] of values) out.set(v, name.startsWith(DROP_REASON_PREFIX) ? name.slice(DROP_REASON_PREFIX.length) : name);
  return out;
}
