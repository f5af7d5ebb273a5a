// Message framing and headers, and where a message may start (detection, resync).
//   Request        => Size RequestHeader Body          Size => INT32 (bytes after it)
//   RequestHeader  => api_key INT16 api_version INT16 correlation_id INT32
//                     client_id NULLABLE_STRING        (v1; never compact, even in v2)
//                     [TAG_BUFFER]                     (v2: flexible API versions)
//   Response       => Size ResponseHeader Body
//   ResponseHeader => correlation_id INT32 [TAG_BUFFER] (v1: flexible, except ApiVersions)
import type { Direction } from '../protocol.js';
import { isFlexible, isKnownApi, maxVersion } from './apis.js';
import { Reader } from './reader.js';
import { KAFKA_LIMITS, newMessage, type KafkaMessage } from './types.js';

/** api_key + api_version + correlation_id + client_id length */
export const MIN_REQUEST_SIZE = 10;
/** correlation_id + the shortest body with an error code */
export const MIN_RESPONSE_SIZE = 6;

/** Request header (after the size prefix) into a new message; r.pos ends after the header. */
export function readRequestHeader(r: Reader, size: number): KafkaMessage | null {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  if (!r.ok) return null;
  if (apiKey < 0 || apiVersion < 0) { r.fail('negative api key or version'); return null; }
  const msg = newMessage('request', size, correlationId);
  msg.apiKey = apiKey;
  msg.apiVersion = apiVersion;
  msg.clientId = r.string(false, true, KAFKA_LIMITS.maxNameChars);
  if (isFlexible(apiKey, apiVersion)) r.taggedFields();
  return r.ok ? msg : null;
}

function printable(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = buf[i] as number;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/** Does a request header that a known client could send start at `at`? Checks what the bytes
 * hold: size, a known api key with a version it has, a non-negative correlation id, and a
 * client id length that fits the frame with printable characters. */
export function plausibleRequest(buf: Buffer, at: number): boolean {
  if (buf.length - at < 14) return false;
  const size = buf.readInt32BE(at);
  if (size < MIN_REQUEST_SIZE || size > KAFKA_LIMITS.maxFrameBytes) return false;
  const apiKey = buf.readInt16BE(at + 4);
  const version = buf.readInt16BE(at + 6);
  if (!isKnownApi(apiKey) || version < 0 || version > maxVersion(apiKey)) return false;
  if (buf.readInt32BE(at + 8) < 0) return false;
  const idLength = buf.readInt16BE(at + 12);
  if (idLength < -1 || idLength > size - MIN_REQUEST_SIZE) return false;
  const from = at + 14;
  return idLength <= 0 || printable(buf, from, Math.min(buf.length, from + idLength));
}

/** A response header carries only a correlation id, so a start is accepted when its size is
 * sane and, if the buffer reaches past that frame, the next frame's size is sane too. This is
 * weak on purpose: parseFrame rejects a correlation id that answers no request in flight. */
function plausibleResponse(buf: Buffer, at: number): boolean {
  if (buf.length - at < 8) return false;
  const sane = (size: number): boolean => size >= MIN_RESPONSE_SIZE && size <= KAFKA_LIMITS.maxFrameBytes;
  const size = buf.readInt32BE(at);
  if (!sane(size) || buf.readInt32BE(at + 4) < 0) return false;
  const next = at + 4 + size;
  return buf.length < next + 4 || sane(buf.readInt32BE(next));
}

export function detect(bytes: Buffer, portHint: number | null): boolean {
  return portHint === 9092 || plausibleRequest(bytes, 0);
}

export function findFrameBoundary(direction: Direction, buf: Buffer, from: number): number {
  const check = direction === 'request' ? plausibleRequest : plausibleResponse;
  for (let at = from; at + 8 <= buf.length; at++) if (check(buf, at)) return at;
  return -1;
}
