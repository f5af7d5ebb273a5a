import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentName } from './config.js';

/** A server WE started. External servers (env endpoints, reused ones) are never recorded. */
export interface OwnedProcess {
  pid: number;
  /**
   * Substring of /proc/<pid>/cmdline; together with `cwd` (our per-component dir in the state
   * dir) it proves the pid was not recycled before we signal it.
   */
  marker: string;
  cwd: string;
  ports: Record<string, number>;
  log: string;
  startedAt: string;
}

export interface StackState {
  version: 1;
  components: Partial<Record<ComponentName, OwnedProcess>>;
}

export function statePath(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export function readState(stateDir: string): StackState {
  try {
    const parsed = JSON.parse(readFileSync(statePath(stateDir), 'utf8')) as StackState;
    if (parsed && parsed.version === 1 && typeof parsed.components === 'object') return parsed;
  } catch {
    // missing or unreadable: nothing is ours
  }
  return { version: 1, components: {} };
}

/** Write-then-rename so a reader (stackStatus runs without the lock) never sees half a file. */
export function writeState(stateDir: string, state: StackState): void {
  mkdirSync(stateDir, { recursive: true });
  const tmp = `${statePath(stateDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, statePath(stateDir));
}
