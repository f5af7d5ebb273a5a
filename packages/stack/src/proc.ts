import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { StackError } from './errors.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Full path of an executable on PATH, or undefined. */
export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export function requireTool(cmd: string, what: string): string {
  const p = which(cmd);
  if (p === undefined) throw new StackError('TOOL_MISSING', `${cmd} not found on PATH; ${what}`);
  return p;
}

/**
 * Alive = exists and is not a zombie (kill(pid, 0) succeeds on zombies, which are dead for us).
 * Every thread counts: after SIGKILL the main thread of a multi-threaded server (redis, java) can
 * be a zombie while other threads still hold its sockets open, so the port is not free yet.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tids.some((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false; // that thread just went away
    }
  });
}

/** The process's argv joined by spaces ('' when gone). Used to make sure a recorded pid was not recycled. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The process's working directory ('' when gone or not ours to see). */
export function cwdOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/**
 * True when `p.pid` is alive and still is the server we started: its argv contains `p.marker` and
 * it runs in `p.cwd` (each component gets its own directory in the state dir).
 */
export function isOurProcess(p: { pid: number; marker: string; cwd: string }): boolean {
  return isAlive(p.pid) && cmdline(p.pid).includes(p.marker) && cwdOf(p.pid) === p.cwd;
}

/**
 * isOurProcess, asked once more 250 ms later when it says no: a starting JVM (Kafka, the schema
 * registry) briefly chdirs into /tmp/hsperfdata_<user> to create its perf-data file, so for a few
 * ms its cwd is not ours although it is.
 */
export async function confirmOurProcess(p: { pid: number; marker: string; cwd: string }): Promise<boolean> {
  if (isOurProcess(p)) return true;
  await sleep(250);
  return isOurProcess(p);
}

/**
 * Starts a long-running server that outlives us: own process group (detached), stdout+stderr
 * appended to `logFile`, no stdin, unref'd so our event loop does not wait for it.
 */
export async function spawnDetached(
  cmd: string,
  args: string[],
  opts: { logFile: string; cwd: string; env?: NodeJS.ProcessEnv },
): Promise<number> {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    // spawn reports ENOENT/EACCES asynchronously; a pid tells us the exec went through.
    await new Promise<void>((res, rej) => {
      child.once('spawn', res);
      child.once('error', rej);
    }).catch((e: unknown) => {
      throw new StackError('START_FAILED', `cannot run ${cmd}: ${(e as Error).message}`, { cause: e });
    });
    child.unref();
    if (child.pid === undefined) throw new StackError('START_FAILED', `cannot run ${cmd}: no pid`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs a build/install command to completion with its output appended to `logFile` (tools like
 * mvn and go are verbose; the user gets one progress line and the log path on failure).
 */
export async function runLogged(
  cmd: string,
  args: string[],
  opts: { logFile: string; cwd: string; env?: NodeJS.ProcessEnv },
): Promise<number> {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
    return await new Promise<number>((res, rej) => {
      child.once('error', rej);
      child.once('close', (code, signal) => res(code ?? (signal ? 128 : 1)));
    });
  } catch (e) {
    throw new StackError('INSTALL_FAILED', `cannot run ${cmd}: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, wait up to graceMs for the process to go, then SIGKILL. Returns how it ended. */
export async function stopProcess(pid: number, graceMs = 20_000): Promise<'terminated' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'terminated';
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

/** Last `n` lines of a (log) file, '' when it does not exist. Reads at most the last 64 KiB. */
export function tailFile(path: string, n = 30): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return '';
  }
  const text = buf.subarray(Math.max(0, buf.length - 65536)).toString('utf8');
  return text.split('\n').filter((l) => l.trim() !== '').slice(-n).join('\n');
}
