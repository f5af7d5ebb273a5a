import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ClovisorError, setLogLevel, type LogLevel } from '@clovisor/core';
import { HELP } from './help.js';

export class UsageError extends ClovisorError {
  constructor(command: string, message: string) {
    super('USAGE', `${message} (see clovisor ${command} --help)`);
  }
}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** Parses flags strictly: an unknown flag is a usage error, not silently ignored. */
export function parseFlags<T>(command: string, args: string[], options: FlagOptions): T | 'help' {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' }, 'log-level': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }) as { values: Record<string, unknown>; positionals: string[] };
  } catch (err) {
    throw new UsageError(command, (err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values['help']) {
    process.stdout.write(HELP[command] + '\n');
    return 'help';
  }
  const level = values['log-level'];
  if (typeof level === 'string') {
    if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(command, `--log-level "${level}": expected debug, info, warn or error`);
    setLogLevel(level as LogLevel);
  }
  return { ...values, _: positionals } as T;
}
