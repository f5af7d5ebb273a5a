import { fromNative } from './errors.js';
import { track, untrack } from './handles.js';
import { native } from './native.js';

/**
 * An attached tracing program (tp_btf). The kernel link is owned by the BpfObject that made it;
 * detach() destroys it (idempotent), and closing the object destroys whatever is left.
 */
export class TraceLink {
  readonly kind = 'trace-link' as const;
  readonly program: string;
  private attached = true;

  /** @internal use BpfObject.attachTracing() */
  constructor(program: string, private readonly destroy: () => boolean, private readonly onDetach: (link: TraceLink) => void) {
    this.program = program;
    track(this);
  }

  get isAttached(): boolean {
    return this.attached;
  }

  /** Returns true if this call detached the program, false if it was already detached. */
  detach(): boolean {
    if (!this.attached) return false;
    this.attached = false;
    untrack(this);
    this.onDetach(this);
    try {
      return this.destroy();
    } catch (err) {
      throw fromNative(err, `detaching ${this.program}`);
    }
  }

  describe(): string {
    return `tracing program ${this.program}`;
  }
}

/**
 * Whether the running kernel offers a BTF-typed tracepoint (`btf_trace_<name>` in
 * /sys/kernel/btf/vmlinux). False as well when the kernel has no BTF at all.
 */
export function kernelHasTracepoint(name: string): boolean {
  return native().vmlinuxTracepointBtfId(name) > 0;
}
