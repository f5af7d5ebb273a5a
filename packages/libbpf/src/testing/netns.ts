// Test support (not a test file: node --test only picks *.test.js here): a throw-away network
// namespace joined to the root namespace by a veth pair, and a real HTTP server inside it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { ifindexOf } from '../system.js';
import { BpfObject } from '../object.js';
import { CAPTURE_OBJECT_PATH, CaptureMap, CaptureProgram, encodePortKey, encodeProtocolId } from '../capture-abi.js';

const execFileP = promisify(execFile);

/** Runs a command, returning stdout; the error names the command and carries its stderr. */
export async function run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export interface NetnsPair {
  ns: string;
  /** root-namespace end of the veth: where the tc programs go */
  hostIf: string;
  peerIf: string;
  ifindex: number;
  hostIp4: string;
  peerIp4: string;
  hostIp6: string;
  peerIp6: string;
  destroy(): Promise<void>;
}

export function isRoot(): boolean {
  return process.geteuid?.() === 0;
}

/** Random names (prefix clvt) and a random 10.x/30 and fd00:c10:x::/64 so parallel runs don't collide. */
export async function createNetnsPair(): Promise<NetnsPair> {
  const id = randomBytes(3).toString('hex');
  const ns = `clvt${id}`;
  const hostIf = `clvt${id}h`;
  const peerIf = `clvt${id}p`;
  const a = randomInt(64, 128);
  const b = randomInt(0, 256);
  const c = randomInt(0, 64) * 4;
  const hostIp4 = `10.${a}.${b}.${c + 1}`;
  const peerIp4 = `10.${a}.${b}.${c + 2}`;
  // groups in canonical text form (no leading zeros), as the kernel and our decoder print them
  const group = () => randomBytes(2).readUInt16BE(0).toString(16);
  const net6 = `fd00:c10:${group()}:${group()}`;
  const hostIp6 = `${net6}::1`;
  const peerIp6 = `${net6}::2`;
  const destroy = async (): Promise<void> => {
    // Each step may fail because an earlier setup step never ran; cleanup must not stop early.
    await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  };
  try {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', ns]);
    await run('ip', ['addr', 'add', `${hostIp4}/30`, 'dev', hostIf]);
    await run('ip', ['-6', 'addr', 'add', `${hostIp6}/64`, 'dev', hostIf, 'nodad']);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `${peerIp4}/30`, 'dev', peerIf]);
    await run('ip', ['-n', ns, '-6', 'addr', 'add', `${peerIp6}/64`, 'dev', peerIf, 'nodad']);
    await run('ip', ['-n', ns, 'link', 'set', peerIf, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return { ns, hostIf, peerIf, ifindex: ifindexOf(hostIf), hostIp4, peerIp4, hostIp6, peerIp6, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

// Dual-stack server: "/" -> "hello\n", "/big" -> 100 KiB of 'x'. Prints "ready" once listening.
const SERVER_JS = `
const http = require('node:http');
const port = Number(process.argv[1]);
const big = Buffer.alloc(100 * 1024, 'x');
http.createServer((req, res) => {
  if (req.url === '/big') res.end(big); else res.end('hello\\n');
}).listen(port, '::', () => console.log('ready'));
`;

export const BIG_BODY_BYTES = 100 * 1024;

export interface HttpServer {
  port: number;
  stop(): Promise<void>;
}

export async function startHttpServer(pair: NetnsPair): Promise<HttpServer> {
  const port = randomInt(20_000, 40_000);
  // `ip netns exec` execs (no fork), so child.pid is the server itself.
  const child: ChildProcess = spawn('ip', ['netns', 'exec', pair.ns, process.execPath, '-e', SERVER_JS, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`HTTP server in ${pair.ns} not ready after 10 s: ${err}`)), 10_000);
      child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`HTTP server exited (${code}): ${err}`)); });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}

/** GET with curl from the root namespace; returns the body. */
export async function curl(host: string, port: number, path: string): Promise<string> {
  const h = host.includes(':') ? `[${host}]` : host;
  return run('curl', ['-sS', '-g', '--max-time', '10', `http://${h}:${port}${path}`]);
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lines of `tc filter show dev <if> <hook>`. */
export async function tcFilters(dev: string, hook: 'ingress' | 'egress'): Promise<string[]> {
  const out = await run('tc', ['filter', 'show', 'dev', dev, hook]);
  return out.split('\n').filter((l) => l.trim().length > 0);
}

/** A netns pair running the test HTTP server, with the capture programs on its host side for that port. */
export interface CaptureFixture {
  pair: NetnsPair;
  server: HttpServer;
  obj: BpfObject;
  /** closes the object (detaching), stops the server, deletes the pair */
  close(): Promise<void>;
}

export async function captureFixture(): Promise<CaptureFixture> {
  const pair = await createNetnsPair();
  const server = await startHttpServer(pair);
  const obj = BpfObject.open(CAPTURE_OBJECT_PATH);
  obj.map(CaptureMap.PORTS).update(encodePortKey(pair.ifindex, server.port), encodeProtocolId(1));
  obj.attachTc(CaptureProgram.INGRESS, pair.ifindex, 'ingress');
  obj.attachTc(CaptureProgram.EGRESS, pair.ifindex, 'egress');
  return {
    pair, server, obj,
    close: async () => {
      obj.close();
      await server.stop();
      await pair.destroy();
    },
  };
}
