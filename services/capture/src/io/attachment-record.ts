import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, errorMessage, type Logger } from '@clovisor/core';
import { INT_TC_FILTER, detachTc, ifindexOf } from '@clovisor/libbpf';

// The interfaces we attached to, on disk, so that the next start after a SIGKILL (no exit path
// ran) removes our filters from interfaces that still exist but are no longer monitored (a pod
// unselected, or its label changed, while the agent was down). Our filters are identified by
// interface (name AND ifindex, so a recycled ifindex is not touched) plus our fixed tc
// priority/handle (packages/libbpf/src/tc.ts); anything else on those interfaces is left alone.
// The file carries our pid: a second agent on the same file refuses to start instead of
// removing the first one's filters.

interface RecordFile {
  pid: number;
  interfaces: Array<{ name: string; ifindex: number }>;
}

export class AttachmentRecord {
  constructor(private readonly path: string, private readonly log: Logger) {}

  /**
   * Takes the record over: removes the filters a dead previous run left (returns how many
   * interfaces were cleaned). Throws ConfigError when a live process holds it.
   */
  claim(): number {
    const previous = this.read();
    if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
      throw new ConfigError(`${this.path} belongs to capture agent pid ${previous.pid}, which is running: one agent per node (or set CLOVISOR_STATE_DIR to another directory)`);
    }
    let cleaned = 0;
    for (const iface of previous?.interfaces ?? []) {
      if (currentIfindex(iface.name) !== iface.ifindex) continue; // gone with its pod, or a new interface of that name
      let removed = false;
      // capture's filter, and INT's (--int attaches to the same interfaces, under its own identity)
      for (const filter of [undefined, INT_TC_FILTER]) {
        for (const hook of ['ingress', 'egress'] as const) {
          try {
            removed = detachTc(iface.ifindex, hook, filter) || removed;
          } catch (err) {
            this.log.warn('could not remove a stale filter of a previous run', { interface: iface.name, hook, error: errorMessage(err) });
          }
        }
      }
      if (removed) {
        cleaned += 1;
        this.log.info('removed stale filters of a previous run', { interface: iface.name, ifindex: iface.ifindex, previousPid: previous!.pid });
      }
    }
    this.write([]);
    return cleaned;
  }

  write(interfaces: Array<{ name: string; ifindex: number }>): void {
    const body: RecordFile = { pid: process.pid, interfaces };
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(body));
      renameSync(tmp, this.path); // atomic: a crash leaves the old or the new record, never half
    } catch (err) {
      this.log.warn('could not write the attachment record; stale filters after a crash will need manual removal', { path: this.path, error: errorMessage(err) });
    }
  }

  /** After a clean stop: nothing of ours is attached. */
  remove(): void {
    rmSync(this.path, { force: true });
  }

  private read(): RecordFile | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return null;
    }
    try {
      const parsed = JSON.parse(text) as RecordFile;
      if (!Number.isInteger(parsed.pid) || !Array.isArray(parsed.interfaces)) throw new Error('unexpected shape');
      return parsed;
    } catch (err) {
      this.log.warn('ignoring an unreadable attachment record', { path: this.path, error: errorMessage(err) });
      return null;
    }
  }
}

function currentIfindex(name: string): number | null {
  try {
    return ifindexOf(name);
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
