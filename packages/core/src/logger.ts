// One-line log records on stderr: `<iso time> <level> <component>: <message> [k=v ...]`.
// stdout stays free for command output (e.g. `stack up --json`).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

let threshold: LogLevel = (process.env['CLOVISOR_LOG_LEVEL'] as LogLevel | undefined) ?? 'info';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

function format(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`);
  return parts.length ? ' ' + parts.join(' ') : '';
}

export function createLogger(component: string, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < (ORDER[threshold] ?? ORDER.info)) return;
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${message}${format(fields)}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (name) => createLogger(`${component}/${name}`, write),
  };
}
