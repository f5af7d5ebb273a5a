// W3C tracestate: a comma-separated list of at most 32 `key=value` members, passed through
// unchanged in meaning. We only validate (so a broken header is counted, not forwarded) and
// normalise the optional whitespace around commas.
//
//   key   = simple-key / tenant-id "@" system-id
//   value = 0*255(chr) nblk-chr ; printable ASCII except "," and "="

const MAX_MEMBERS = 32;
const MAX_LENGTH = 512;
const KEY = /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

export type TracestateResult = { kind: 'ok'; value: string | null } | { kind: 'malformed'; reason: string };

export function parseTracestate(raw: string): TracestateResult {
  if (raw.length > MAX_LENGTH) return { kind: 'malformed', reason: 'tracestate: too long' };
  const members = raw
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (members.length > MAX_MEMBERS) return { kind: 'malformed', reason: 'tracestate: too many members' };
  const keys = new Set<string>();
  for (const member of members) {
    const eq = member.indexOf('=');
    const key = member.slice(0, eq);
    if (eq <= 0 || !KEY.test(key) || !VALUE.test(member.slice(eq + 1))) {
      return { kind: 'malformed', reason: 'tracestate: bad member' };
    }
    if (keys.has(key)) return { kind: 'malformed', reason: 'tracestate: duplicate key' };
    keys.add(key);
  }
  return { kind: 'ok', value: members.length === 0 ? null : members.join(',') };
}
