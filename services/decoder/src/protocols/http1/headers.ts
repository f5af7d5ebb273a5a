// Which header fields a Transaction keeps: trace context, routing and framing fields. Credentials
// are kept only as "[REDACTED]" so a consumer sees that they were present. Names are matched on
// the bytes, case-insensitively, so fields nobody keeps are never decoded into strings.

const KEEP = [
  'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled',
  'x-b3-flags', 'uber-trace-id', 'x-request-id', 'x-envoy-decorator-operation', 'host', 'user-agent',
  'content-type', 'content-length', 'transfer-encoding', 'upgrade', 'server', 'grpc-status',
];
const REDACT = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];
export const REDACTED = '[REDACTED]';

interface Known { name: string; bytes: Buffer; redact: boolean }

/** Candidates by (name length, lower-case first byte). */
const BY_SHAPE = new Map<number, Known[]>();
for (const [names, redact] of [[KEEP, false], [REDACT, true]] as const) {
  for (const name of names) {
    const key = name.length * 256 + name.charCodeAt(0);
    const list = BY_SHAPE.get(key) ?? [];
    list.push({ name, bytes: Buffer.from(name, 'latin1'), redact });
    BY_SHAPE.set(key, list);
  }
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** The allowlisted field named buf[start, end), or null. */
function known(buf: Buffer, start: number, end: number): Known | null {
  const list = BY_SHAPE.get((end - start) * 256 + lower(buf[start] as number));
  if (list === undefined) return null;
  outer: for (const k of list) {
    for (let i = 1; i < k.bytes.length; i++) if (lower(buf[start + i] as number) !== k.bytes[i]) continue outer;
    return k;
  }
  return null;
}

/** 'keep', 'redact' or null (dropped) for a field name. */
export function headerPolicy(name: string): 'keep' | 'redact' | null {
  const b = Buffer.from(name, 'latin1');
  const k = b.length === 0 ? null : known(b, 0, b.length);
  return k === null ? null : k.redact ? 'redact' : 'keep';
}

/** RFC 9110 tchar. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/**
 * Parse the field line buf[start, end) (no CRLF) into `into` if allowlisted. Returns false when the
 * line is not a field (no colon, bad name). Repeated fields are joined with ", ".
 */
export function addFieldLine(buf: Buffer, start: number, end: number, into: Record<string, string>, maxValue: number): boolean {
  const colon = buf.indexOf(0x3a, start);
  if (colon <= start || colon >= end) return false;
  for (let i = start; i < colon; i++) if (TCHAR[buf[i] as number] !== 1) return false;
  const k = known(buf, start, colon);
  if (k === null) return true;
  let vs = colon + 1;
  let ve = end;
  while (vs < ve && (buf[vs] === 0x20 || buf[vs] === 0x09)) vs++;
  while (ve > vs && (buf[ve - 1] === 0x20 || buf[ve - 1] === 0x09)) ve--;
  const value = k.redact ? REDACTED : buf.toString('latin1', vs, Math.min(ve, vs + maxValue));
  const prior = into[k.name];
  into[k.name] = prior === undefined || k.redact ? value : `${prior}, ${value}`.slice(0, maxValue);
  return true;
}
