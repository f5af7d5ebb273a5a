import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.js';
import { isAlive, sleep } from './proc.js';

/**
 * Serialises stackUp/stackDown across processes (parallel test files, two shells) so two
 * callers never start two Kafkas on one state dir. The lock file is created with O_EXCL and
 * holds the owner's pid; a lock whose pid is dead is stale and taken over.
 */
export async function withLock<T>(stateDir: string, fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'stack.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryCreate(path)) break;
    if (isStale(path)) {
      removeQuietly(path);
      continue;
    }
    if (Date.now() > deadline) {
      throw new StackError(
        'LOCK_TIMEOUT',
        `another clovisor stack command (pid ${readPid(path) ?? '?'}) holds ${path}; wait for it, or delete the file if that process is gone`,
      );
    }
    await sleep(150);
  }
  try {
    return await fn();
  } finally {
    removeQuietly(path);
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StackError('START_FAILED', `cannot create lock ${path}: ${(e as Error).message}; check permissions of the state dir`);
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readPid(path: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isStale(path: string): boolean {
  const pid = readPid(path);
  if (pid !== undefined) return !isAlive(pid);
  // Empty/garbled: either the owner is between open and write (a few µs) or it died there.
  try {
    return Date.now() - statSync(path).mtimeMs > 5_000;
  } catch {
    return false; // vanished: the next tryCreate will tell
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
