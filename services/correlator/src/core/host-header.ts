// Host header → (name, port), as semconv's server.address/server.port want it.
//
//   Host = uri-host [ ":" port ]    uri-host may be a bracketed IPv6 literal

export interface HostPort {
  host: string;
  port: number | null;
}

export function parseHostHeader(raw: string): HostPort | null {
  const value = raw.trim();
  if (value === '') return null;
  let host = value;
  let rawPort: string | null = null;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return null;
    host = value.slice(1, close);
    const rest = value.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      rawPort = rest.slice(1);
    }
  } else {
    const colon = value.indexOf(':');
    if (colon >= 0) {
      if (value.indexOf(':', colon + 1) >= 0) return null; // unbracketed IPv6 is not a valid Host
      host = value.slice(0, colon);
      rawPort = value.slice(colon + 1);
    }
  }
  if (host === '') return null;
  if (rawPort === null || rawPort === '') return { host, port: null };
  if (!/^\d{1,5}$/.test(rawPort)) return null;
  const port = Number(rawPort);
  return port >= 1 && port <= 65535 ? { host, port } : null;
}
