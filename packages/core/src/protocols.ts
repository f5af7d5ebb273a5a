import { ConfigError } from './errors.js';

/**
 * Protocol names a port can be configured with (Istio port naming). The numeric id is what the
 * kernel's `ports` map stores; it is opaque to BPF and only travels back as a hint.
 */
export const ProtocolIds = {
  http: 1,
  http2: 2,
  grpc: 3,
  dns: 4,
  redis: 5,
  postgres: 6,
  mysql: 7,
  kafka: 8,
  mqtt: 9,
  mongo: 10,
  tcp: 11,
  tls: 12,
  udp: 13,
} as const;
export type ProtocolName = keyof typeof ProtocolIds;

export function isProtocolName(value: string): value is ProtocolName {
  return Object.prototype.hasOwnProperty.call(ProtocolIds, value);
}

export function protocolById(id: number): ProtocolName | null {
  for (const [name, value] of Object.entries(ProtocolIds)) if (value === id) return name as ProtocolName;
  return null;
}

export interface PortRule {
  port: number;
  protocol: ProtocolName;
}

/** Parses `--port <port>=<protocol>`, e.g. `8080=http`. */
export function parsePortRule(value: string): PortRule {
  const match = /^(\d{1,5})=([a-z0-9-]+)$/.exec(value.trim());
  if (!match) throw new ConfigError(`--port "${value}": expected <port>=<protocol>, e.g. --port 8080=http`);
  const port = Number(match[1]);
  if (port < 1 || port > 65535) throw new ConfigError(`--port "${value}": port must be 1-65535`);
  const protocol = match[2]!;
  if (!isProtocolName(protocol)) {
    throw new ConfigError(`--port "${value}": unknown protocol "${protocol}"; known: ${Object.keys(ProtocolIds).join(', ')}`);
  }
  return { port, protocol };
}
