// Registry of open native handles, so tests (and shutdown code) can prove nothing leaked.

export type HandleKind = 'object' | 'tc-link' | 'trace-link' | 'ring-reader';

export interface TrackedHandle {
  readonly kind: HandleKind;
  describe(): string;
}

const open = new Set<TrackedHandle>();

export function track(h: TrackedHandle): void {
  open.add(h);
}

export function untrack(h: TrackedHandle): void {
  open.delete(h);
}

/** Number of BpfObjects, TcLinks, TraceLinks and RingReaders not yet closed/detached. */
export function openHandleCount(): number {
  return open.size;
}

/** Human-readable list of the open handles, for leak reports. */
export function openHandles(): string[] {
  return [...open].map((h) => `${h.kind}: ${h.describe()}`);
}
