import { ConfigError } from '@clovisor/core';
import type { CorrelatorOptions } from '@clovisor/correlator';

// The correlator's x-request-id settings (docs/spans.md). Flags win over the environment;
// unset = the correlator's defaults (window 30 s, hold 2 s).

export interface CorrelatorFlags {
  'request-id-window-ms'?: string;
  'request-id-hold-ms'?: string;
}

export const CORRELATOR_FLAG_OPTIONS = {
  'request-id-window-ms': { type: 'string' },
  'request-id-hold-ms': { type: 'string' },
} as const;

function ms(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > 3_600_000) {
    throw new ConfigError(`${name} "${raw}": expected whole milliseconds from ${min} to 3600000`);
  }
  return value;
}

export function resolveCorrelatorFlags(flags: CorrelatorFlags, env: Record<string, string | undefined>): Pick<CorrelatorOptions, 'requestIdWindowMs' | 'requestIdHoldMs'> {
  const window = ms('--request-id-window-ms', flags['request-id-window-ms'] ?? env['CLOVISOR_REQUEST_ID_WINDOW_MS'], 1);
  const hold = ms('--request-id-hold-ms', flags['request-id-hold-ms'] ?? env['CLOVISOR_REQUEST_ID_HOLD_MS'], 0);
  return { ...(window === undefined ? {} : { requestIdWindowMs: window }), ...(hold === undefined ? {} : { requestIdHoldMs: hold }) };
}
