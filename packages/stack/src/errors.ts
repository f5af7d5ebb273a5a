/**
 * The one error type of @clovisor/stack. `code` is stable (the CLI maps it to exit codes and
 * tests assert on it); `message` is one line that tells the user what to do next.
 */
export type StackErrorCode =
  | 'PORT_IN_USE'
  | 'ENDPOINT_UNREACHABLE'
  | 'TOOL_MISSING'
  | 'INSTALL_FAILED'
  | 'START_FAILED'
  | 'NOT_READY'
  | 'LOCK_TIMEOUT'
  | 'BAD_CONFIG';

export class StackError extends Error {
  readonly code: StackErrorCode;

  constructor(code: StackErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackError';
    this.code = code;
  }
}
