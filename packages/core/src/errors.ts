// Typed errors: a stable `code`, whether retrying may help, and a message that tells the user
// what to do. Never throw strings.

export class ClovisorError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClovisorError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Bad flags, environment or configuration: the user must change something. */
export class ConfigError extends ClovisorError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

/** A record that cannot be decoded; it goes to the dead-letter topic. */
export class DecodeError extends ClovisorError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'DecodeError';
  }
}

/** A dependency (Kafka, Jaeger, Redis, the kernel) is not reachable or refused us. */
export class UnavailableError extends ClovisorError {
  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, message, { retryable: options.retryable ?? true, cause: options.cause });
    this.name = 'UnavailableError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
