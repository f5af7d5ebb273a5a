// Domain names with compression (RFC 1035 §4.1.4). A pointer must point strictly before the
// start of the labels it continues (a compressor only points at names written earlier), so each
// jump lands further back and no chain can loop; the hop count and the 255-octet bound are kept
// anyway so a hostile message costs little.
import { DNS_LIMITS } from './types.js';

export type NameResult =
  | { kind: 'ok'; name: string; end: number } // end: offset after the name where it was read
  | { kind: 'short' } // the bytes ended inside the name
  | { kind: 'bad'; reason: string };

function labelText(b: Buffer, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    // Printable ASCII as is (dots and backslashes escaped), the rest as \DDD (RFC 4343 style).
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString().padStart(3, '0')}`;
  }
  return s;
}

export function readName(b: Buffer, start: number): NameResult {
  const labels: string[] = [];
  let at = start;
  let end = -1; // set at the first pointer: the name continues elsewhere
  let octets = 1; // the root's zero length octet
  let hops = 0;
  let segmentStart = start; // where the labels being read began
  for (;;) {
    if (at >= b.length) return { kind: 'short' };
    const len = b[at] as number;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= b.length) return { kind: 'short' };
      const target = ((len & 0x3f) << 8) | (b[at + 1] as number);
      if (target >= segmentStart) return { kind: 'bad', reason: 'compression pointer does not point before the labels it continues' };
      if (++hops > DNS_LIMITS.maxPointerHops) return { kind: 'bad', reason: 'too many compression pointers' };
      if (end < 0) end = at + 2;
      at = target;
      segmentStart = target;
      continue;
    }
    if (kind !== 0) return { kind: 'bad', reason: `reserved label type 0x${kind.toString(16)}` };
    if (len === 0) {
      if (end < 0) end = at + 1;
      return { kind: 'ok', name: labels.length === 0 ? '.' : labels.join('.'), end };
    }
    octets += len + 1;
    if (octets > DNS_LIMITS.maxNameOctets) return { kind: 'bad', reason: 'name longer than 255 octets' };
    if (at + 1 + len > b.length) return { kind: 'short' };
    labels.push(labelText(b, at + 1, at + 1 + len));
    at += 1 + len;
  }
}
