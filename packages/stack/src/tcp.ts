import { Socket, connect } from 'node:net';

/** Outcome of every probe: `reachable` separates "nothing listens" (start one) from "something else listens" (refuse). */
export interface ProbeResult {
  ok: boolean;
  reachable: boolean;
  /** The right kind of server answered but is not ready yet (e.g. a broker not yet registered). */
  starting?: boolean;
  detail: string;
}

/** Splits "host:port" (also "[v6]:port"); undefined when malformed. */
export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

/** Resolves with a connected socket, or undefined when the port refuses/does not answer in time. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(undefined);
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(undefined);
    });
  });
}

export async function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const s = await connectTcp(host, port, timeoutMs);
  s?.destroy();
  return s !== undefined;
}

/**
 * Sends `request` and collects bytes until `complete(buf)` says the reply is whole (returns true),
 * it is garbage (throws), or the timeout passes (rejects). Closes the socket afterwards.
 */
export function exchange(
  sock: Socket,
  request: Buffer,
  complete: (buf: Buffer) => boolean,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.removeAllListeners('close');
      if (err) reject(err);
      else resolve(buf);
    };
    const timer = setTimeout(() => done(new Error(`no complete reply within ${timeoutMs} ms`)), timeoutMs);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        if (complete(buf)) done();
      } catch (e) {
        done(e as Error);
      }
    });
    sock.once('close', () => done(new Error('connection closed before a complete reply')));
    sock.on('error', () => undefined); // 'close' follows and reports
    sock.write(request);
  });
}
