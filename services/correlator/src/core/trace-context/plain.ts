// Headers carried as opaque values: Envoy's x-request-id and x-envoy-decorator-operation.
// They are bounded (a hostile client must not make us store or key by megabytes) and must be
// printable ASCII, as they become Kafka keys and span names.

const MAX_LENGTH = 256;
const PRINTABLE = /^[\x20-\x7e]+$/;

export type PlainResult = { kind: 'ok'; value: string } | { kind: 'malformed'; reason: string };

export function parsePlainValue(name: string, raw: string): PlainResult {
  const value = raw.trim();
  if (value.length === 0) return { kind: 'malformed', reason: `${name}: empty` };
  if (value.length > MAX_LENGTH) return { kind: 'malformed', reason: `${name}: longer than ${MAX_LENGTH}` };
  if (!PRINTABLE.test(value)) return { kind: 'malformed', reason: `${name}: not printable ASCII` };
  return { kind: 'ok', value };
}
