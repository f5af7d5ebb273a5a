import { BpfError, fromNative } from './errors.js';
import { track, untrack } from './handles.js';
import { native } from './native.js';

export type TcHook = 'ingress' | 'egress';

/**
 * Our fixed tc filter identity. Attaching always REPLACEs whatever sits at this priority/handle,
 * so a filter left by a crashed run is swapped out instead of stacked; and anything at another
 * priority/handle (someone else's filter) is never touched. 0xC10 = 3088 (`pref 3088` in tc).
 */
export const TC_PRIORITY = 0xc10;
export const TC_HANDLE = 0xc1;

export interface TcFilterId {
  priority?: number;
  handle?: number;
}

function hookCode(hook: TcHook): 0 | 1 {
  if (hook === 'ingress') return 0;
  if (hook === 'egress') return 1;
  throw new BpfError('EINVAL', `tc hook must be 'ingress' or 'egress', got ${String(hook)}`);
}

function filterId(opts: TcFilterId | undefined): { priority: number; handle: number } {
  const priority = opts?.priority ?? TC_PRIORITY;
  const handle = opts?.handle ?? TC_HANDLE;
  // tc priorities are 16-bit; 0 would let the kernel pick one, and we must know ours.
  if (!Number.isInteger(priority) || priority < 1 || priority > 0xffff) {
    throw new BpfError('EINVAL', `tc priority must be 1..65535, got ${priority}`);
  }
  if (!Number.isInteger(handle) || handle < 1 || handle > 0xffffffff) {
    throw new BpfError('EINVAL', `tc handle must be 1..0xffffffff, got ${handle}`);
  }
  return { priority, handle };
}

function checkIfindex(ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex < 1 || ifindex > 0x7fffffff) {
    throw new BpfError('EINVAL', `ifindex must be a positive integer, got ${ifindex}`);
  }
}

/** An attached tc filter of ours. detach() is idempotent. */
export class TcLink {
  readonly kind = 'tc-link' as const;
  readonly ifindex: number;
  readonly hook: TcHook;
  readonly priority: number;
  readonly handle: number;
  /** kernel id of the program we attached */
  readonly progId: number;
  private attached = true;
  private readonly onDetach: (link: TcLink) => void;

  /** @internal use BpfObject.attachTc() */
  constructor(ifindex: number, hook: TcHook, id: { priority: number; handle: number }, progId: number, onDetach: (link: TcLink) => void) {
    this.ifindex = ifindex;
    this.hook = hook;
    this.priority = id.priority;
    this.handle = id.handle;
    this.progId = progId;
    this.onDetach = onDetach;
    track(this);
  }

  get isAttached(): boolean {
    return this.attached;
  }

  /**
   * Removes our filter. Returns true if this call removed it; false if it was already gone (the
   * interface vanished, someone removed it) or if a newer attach replaced it with another
   * program — that filter belongs to whoever attached it last and is left alone.
   */
  detach(): boolean {
    if (!this.attached) return false;
    this.attached = false;
    untrack(this);
    this.onDetach(this);
    const hook = hookCode(this.hook);
    try {
      const current = native().tcQuery(this.ifindex, hook, this.priority, this.handle);
      if (current !== this.progId) return false;
      return native().tcDetach(this.ifindex, hook, this.priority, this.handle);
    } catch (err) {
      throw fromNative(err, `detaching tc ${this.hook} filter from ifindex ${this.ifindex}`);
    }
  }

  describe(): string {
    return `tc ${this.hook} ifindex ${this.ifindex} prio 0x${this.priority.toString(16)} handle 0x${this.handle.toString(16)} prog ${this.progId}`;
  }
}

/** @internal */
export function attachTcFilter(progFd: number, progName: string, ifindex: number, hook: TcHook, opts: TcFilterId | undefined): { progId: number; priority: number; handle: number } {
  checkIfindex(ifindex);
  const id = filterId(opts);
  try {
    const progId = native().tcAttach(progFd, ifindex, hookCode(hook), id.priority, id.handle);
    return { progId, ...id };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const advice = code === 'ENODEV' ? `no interface with ifindex ${ifindex}: check \`ip link\`` : undefined;
    throw fromNative(err, `attaching ${progName} to tc ${hook} of ifindex ${ifindex}`, advice);
  }
}

/**
 * Removes our filter (by priority/handle) from an interface without a TcLink, whatever program
 * it runs: for cleaning up leftovers of a crashed run. Returns false when there was none.
 */
export function detachTc(ifindex: number, hook: TcHook, opts?: TcFilterId): boolean {
  checkIfindex(ifindex);
  const id = filterId(opts);
  try {
    return native().tcDetach(ifindex, hookCode(hook), id.priority, id.handle);
  } catch (err) {
    throw fromNative(err, `detaching tc ${hook} filter from ifindex ${ifindex}`);
  }
}

/** Kernel program id of the filter at our priority/handle, or null when there is none. */
export function queryTc(ifindex: number, hook: TcHook, opts?: TcFilterId): number | null {
  checkIfindex(ifindex);
  const id = filterId(opts);
  try {
    const progId = native().tcQuery(ifindex, hookCode(hook), id.priority, id.handle);
    return progId === 0 ? null : progId;
  } catch (err) {
    throw fromNative(err, `querying tc ${hook} filter of ifindex ${ifindex}`);
  }
}
