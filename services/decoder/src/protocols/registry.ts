// Every protocol the decoder can parse, one folder each. Typed so that adding a name to
// ProtocolName without a parser here is a compile error.
import { http1 } from './http1/index.js';
import { http2 } from './http2/index.js';
import { dns } from './dns/index.js';
import { redis } from './redis/index.js';
import { postgres } from './postgres/index.js';
import { kafka } from './kafka/index.js';
import type { Protocol, ProtocolName } from './protocol.js';

// Each entry keeps its own frame and state types; the driver only hands them back to it
// (method parameters are bivariant, so a concrete Protocol<F, S> fits here).
export type AnyProtocol = Protocol<unknown, unknown>;

export const PROTOCOLS = {
  http: http1,
  http2,
  dns,
  redis,
  postgres,
  kafka,
} satisfies Record<ProtocolName, AnyProtocol>;

/** Detection order when no hint applies: the protocols with the most distinctive first bytes
 * first (the HTTP/2 preface, PostgreSQL's startup, a Kafka request header), HTTP/1 last. */
const DETECT_ORDER: ProtocolName[] = ['http2', 'postgres', 'kafka', 'redis', 'dns', 'http'];

/** The protocol a port name selects (`grpc`, `http-web`, `redis`, …: Istio naming), or null. */
export function protocolForHint(hint: string | null): ProtocolName | null {
  if (hint === null) return null;
  const h = hint.toLowerCase();
  for (const name of DETECT_ORDER) {
    for (const portName of PROTOCOLS[name].portNames) if (h === portName || h.startsWith(`${portName}-`)) return name;
  }
  return null;
}

/** The protocol whose detect() accepts these first bytes, or null. */
export function detectProtocol(bytes: Buffer, serverPort: number | null): ProtocolName | null {
  for (const name of DETECT_ORDER) if (PROTOCOLS[name].detect(bytes, serverPort)) return name;
  return null;
}
