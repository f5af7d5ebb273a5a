import { isProtocolName, type ProtocolName } from '@clovisor/core';

// Which protocol a Kubernetes port speaks, the way Istio decides it: the port's `appProtocol`
// when set, else the port name `<protocol>` or `<protocol>-<suffix>`. Names Istio knows but
// @clovisor/core has no decoder for are mapped onto the closest one we do have (https → tls:
// we only see the ciphertext). An unrecognised name gives null: the port is not monitored,
// because copying every unnamed port's payload to user space costs more than it tells.

const ALIASES: Record<string, ProtocolName> = {
  https: 'tls',
  // gRPC-Web is HTTP/1.1 (or 2) with a gRPC-framed body; browsers send it over HTTP/1.1
  'grpc-web': 'http',
  h2c: 'http2',
  postgresql: 'postgres',
  mongodb: 'mongo',
  // Kubernetes-defined appProtocol values (KEP-3726)
  'kubernetes.io/h2c': 'http2',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'tls',
};

function lookup(name: string): ProtocolName | null {
  const lower = name.toLowerCase();
  if (isProtocolName(lower)) return lower;
  return ALIASES[lower] ?? null;
}

/** appProtocol wins when it names a protocol we know; else the port name decides. */
export function protocolOfPort(port: { name?: string | undefined; appProtocol?: string | undefined }): ProtocolName | null {
  if (port.appProtocol) {
    const byApp = lookup(port.appProtocol);
    if (byApp) return byApp;
  }
  return port.name ? protocolOfPortName(port.name) : null;
}

/** Istio port naming: the whole name, else (grpc-web-x first) the part before the first `-`. */
export function protocolOfPortName(name: string): ProtocolName | null {
  const whole = lookup(name);
  if (whole) return whole;
  const lower = name.toLowerCase();
  if (lower.startsWith('grpc-web-')) return ALIASES['grpc-web']!;
  const dash = lower.indexOf('-');
  return dash > 0 ? lookup(lower.slice(0, dash)) : null;
}
