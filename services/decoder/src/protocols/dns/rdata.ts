// Resource record data as text ("A 10.0.0.1", "MX 10 mail.example."): the known types of the
// brief, others as "<TYPE> <len> bytes". Names in record data end with a dot (zone-file style).
import { readName } from './name.js';
import { DNS_LIMITS, typeName } from './types.js';

function ipv6(b: Buffer, at: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(b.readUInt16BE(at + 2 * i));
  // RFC 5952: the longest run of two or more zero words becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]): string => ws.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(w) : `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

function fqdn(name: string): string {
  return name === '.' ? '.' : `${name}.`;
}

function txtStrings(b: Buffer, from: number, to: number): string | null {
  const parts: string[] = [];
  let at = from;
  while (at < to) {
    const len = b[at] as number;
    if (at + 1 + len > to) return null;
    let s = '';
    for (let i = at + 1; i < at + 1 + len; i++) {
      const c = b[i] as number;
      if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
      else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
      else s += `\\${c.toString().padStart(3, '0')}`;
    }
    parts.push(`"${s}"`);
    at += 1 + len;
  }
  return parts.join(' ');
}

/**
 * The record data at [from, to) of message b, or null when it is malformed for its type. Names
 * inside may point anywhere earlier in the message (compression), so b is the whole message.
 */
export function rdataText(b: Buffer, type: number, from: number, to: number): string | null {
  const len = to - from;
  const t = typeName(type);
  const name = (at: number): { name: string; end: number } | null => {
    const r = readName(b, at);
    return r.kind === 'ok' && r.end <= to ? r : null;
  };
  let text: string | null;
  switch (type) {
    case 1:
      text = len === 4 ? `A ${b[from]}.${b[from + 1]}.${b[from + 2]}.${b[from + 3]}` : null;
      break;
    case 28:
      text = len === 16 ? `AAAA ${ipv6(b, from)}` : null;
      break;
    case 2: case 5: case 12: {
      const n = name(from);
      text = n !== null && n.end === to ? `${t} ${fqdn(n.name)}` : null;
      break;
    }
    case 15: {
      const n = len >= 3 ? name(from + 2) : null;
      text = n !== null && n.end === to ? `MX ${b.readUInt16BE(from)} ${fqdn(n.name)}` : null;
      break;
    }
    case 33: {
      const n = len >= 7 ? name(from + 6) : null;
      text = n !== null && n.end === to
        ? `SRV ${b.readUInt16BE(from)} ${b.readUInt16BE(from + 2)} ${b.readUInt16BE(from + 4)} ${fqdn(n.name)}` : null;
      break;
    }
    case 6: {
      const m = name(from);
      const r = m === null ? null : name(m.end);
      if (m === null || r === null || r.end + 20 !== to) { text = null; break; }
      const n = [0, 4, 8, 12, 16].map((o) => b.readUInt32BE(r.end + o)).join(' ');
      text = `SOA ${fqdn(m.name)} ${fqdn(r.name)} ${n}`;
      break;
    }
    case 16: {
      const s = txtStrings(b, from, to);
      text = s === null ? null : `TXT ${s}`;
      break;
    }
    default:
      text = `${t} ${len} bytes`;
  }
  if (text === null || text.length <= DNS_LIMITS.maxAnswerChars) return text;
  return `${text.slice(0, DNS_LIMITS.maxAnswerChars - 1)}…`; // cut: a long TXT must not bloat the record
}
