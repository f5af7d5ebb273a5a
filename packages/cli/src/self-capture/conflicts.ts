// Would capture see Clovisor's own traffic? Only if a connection of this process (to Kafka, the
// OTLP endpoint, the self-trace endpoint, Redis) leaves through an interface that capture is
// attached to, towards a port capture copies: then every segment published is captured and
// published again — a loop that grows with itself. Pure: the routes are looked up by guard.ts.

export interface OwnTarget {
  /** what Clovisor talks to there: "Kafka broker", "OTLP endpoint", ... */
  what: string;
  host: string;
  port: number;
}

export interface RoutedTarget extends OwnTarget {
  /** an address the host resolved to */
  address: string;
  /** the interface the kernel routes that address through */
  device: string;
}

/** The own connections that would be captured, one line each for the error message. */
export function selfCaptureConflicts(routed: readonly RoutedTarget[], interfaces: readonly string[], ports: readonly number[]): string[] {
  const traced = new Set(interfaces);
  const tracedPorts = new Set(ports);
  const lines = routed
    .filter((t) => traced.has(t.device) && tracedPorts.has(t.port))
    .map((t) => `${t.what} ${t.host}:${t.port} (${t.address} via ${t.device})`);
  return [...new Set(lines)];
}

/** `host:port` or an http(s) URL → target; null when no port can be told. */
export function targetOf(what: string, value: string, defaultPort?: number): OwnTarget | null {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `tcp://${value}`);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : defaultPort;
    if (port === undefined || url.hostname === '') return null;
    return { what, host: url.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return null;
  }
}

export interface OwnConnections {
  brokers: readonly string[];
  redisUrl: string;
  /** when this process exports */
  otlpEndpoint: string | null;
  /** when this process traces itself */
  selfTraceEndpoint: string | null;
}

/** The servers this process connects to. */
export function ownTargets(own: OwnConnections): OwnTarget[] {
  const targets = [
    ...own.brokers.map((b) => targetOf('Kafka broker', b, 9092)),
    targetOf('Redis', own.redisUrl, 6379),
    own.otlpEndpoint === null ? null : targetOf('OTLP endpoint', own.otlpEndpoint, 4317),
    own.selfTraceEndpoint === null ? null : targetOf('self-trace endpoint', own.selfTraceEndpoint),
  ];
  return targets.filter((t): t is OwnTarget => t !== null);
}
