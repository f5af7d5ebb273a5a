// Every protocol the decoder can parse. Typed so that adding a name to ProtocolName without a
// parser here is a compile error.
import { http1 } from './http1/index.js';
import type { Protocol, ProtocolName } from './protocol.js';

// Each entry keeps its own frame and state types; the driver only hands them back to it
// (method parameters are bivariant, so a concrete Protocol<F, S> fits here).
export type AnyProtocol = Protocol<unknown, unknown>;

export const PROTOCOLS = {
  http: http1,
} satisfies Record<ProtocolName, AnyProtocol>;

/** Detection order when no hint applies (most specific first once there are several). */
const DETECT_ORDER: ProtocolName[] = ['http'];

/** The protocol a port hint names (e.g. Istio port names 'http', 'http-web'), or null. */
export function protocolForHint(hint: string | null): ProtocolName | null {
  if (hint === null) return null;
  const h = hint.toLowerCase();
  if (h === 'http' || h === 'http1' || h === 'http/1.1' || h === 'http/1.0' || h.startsWith('http-')) return 'http';
  return null;
}

/** The protocol whose detect() accepts these first bytes, or null. */
export function detectProtocol(bytes: Buffer, serverPort: number | null): ProtocolName | null {
  for (const name of DETECT_ORDER) if (PROTOCOLS[name].detect(bytes, serverPort)) return name;
  return null;
}
