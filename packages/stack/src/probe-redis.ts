import { connectTcp, exchange, type ProbeResult } from './tcp.js';

/** Parses redis://[user:password@]host[:port][/db]; undefined when it is not such a URL. */
export function parseRedisUrl(url: string): { host: string; port: number; username?: string; password?: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'redis:') return undefined;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

function resp(...args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
}

/** One RESP simple reply line (+OK, -ERR ...). Anything else first is not Redis. */
function lineComplete(buf: Buffer): boolean {
  if (buf.length > 0 && buf[0] !== 0x2b && buf[0] !== 0x2d) throw new Error('reply does not start with + or -');
  if (buf.length > 4096) throw new Error('reply line too long');
  return buf.includes('\r\n');
}

/** PING → +PONG (after AUTH when the URL carries a password). */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<ProbeResult> {
  const target = parseRedisUrl(url);
  if (!target) return { ok: false, reachable: false, detail: `"${url}" is not a redis://host:port URL` };
  const { host, port } = target;
  const sock = await connectTcp(host, port, timeoutMs);
  if (!sock) return { ok: false, reachable: false, detail: `nothing listens on ${host}:${port}` };
  try {
    if (target.password !== undefined) {
      const auth = target.username ? resp('AUTH', target.username, target.password) : resp('AUTH', target.password);
      const a = (await exchange(sock, auth, lineComplete, timeoutMs)).toString('utf8').trim();
      if (!a.startsWith('+OK')) return { ok: false, reachable: true, detail: `Redis at ${host}:${port} refused AUTH: ${a}` };
    }
    const reply = (await exchange(sock, resp('PING'), lineComplete, timeoutMs)).toString('utf8').trim();
    if (reply === '+PONG') return { ok: true, reachable: true, detail: `Redis at ${host}:${port}` };
    if (reply.startsWith('-NOAUTH')) {
      return { ok: false, reachable: true, detail: `Redis at ${host}:${port} requires a password; give it as redis://:<password>@${host}:${port}` };
    }
    return { ok: false, reachable: true, detail: `${host}:${port} answered PING with ${JSON.stringify(reply.slice(0, 80))}` };
  } catch (e) {
    return { ok: false, reachable: true, detail: `${host}:${port} is not Redis: ${(e as Error).message}` };
  } finally {
    sock.destroy();
  }
}
