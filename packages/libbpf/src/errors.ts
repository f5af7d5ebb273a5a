/** Every failure of this package is a BpfError; `code` is the errno name (EPERM, ENOENT, ...). */
export class BpfError extends Error {
  override readonly name = 'BpfError';
  readonly code: string;
  readonly errno: number | undefined;
  /** libbpf's own log lines (e.g. the verifier's), when the failure produced any. */
  readonly log: string | undefined;

  constructor(code: string, message: string, options: { errno?: number; log?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errno = options.errno;
    this.log = options.log;
  }
}

export const NEEDS_ROOT =
  'loading eBPF needs root (CAP_BPF + CAP_NET_ADMIN): run as root';

interface NativeErrorShape {
  message: string;
  code?: unknown;
  errno?: unknown;
  log?: unknown;
}

function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

/**
 * Converts an error thrown by the addon into a BpfError. Permission errors get the "run as
 * root" advice unless we already are root (then the kernel said no for another reason).
 */
export function fromNative(err: unknown, context: string, advice?: string): BpfError {
  if (err instanceof BpfError) return err;
  const e = (err ?? {}) as NativeErrorShape;
  const code = typeof e.code === 'string' ? e.code : 'EIO';
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  const log = typeof e.log === 'string' && e.log.length > 0 ? e.log : undefined;
  let message = `${context}: ${e.message ?? String(err)}`;
  if ((code === 'EPERM' || code === 'EACCES') && !isRoot()) message = `${context}: ${NEEDS_ROOT}`;
  else if (advice !== undefined) message += `: ${advice}`;
  return new BpfError(code, message, { ...(errno !== undefined && { errno }), ...(log !== undefined && { log }), cause: err });
}
