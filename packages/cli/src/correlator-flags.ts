import { ConfigError } from '@clovisor/core';
import type { PartitionedCorrelatorOptions } from '@clovisor/correlator';

// The correlator's x-request-id settings and its restart warm-up (docs/spans.md). Flags win over
// the environment; unset = the correlator's defaults (window 30 s, hold 2 s, warm-up 100 000).

export interface CorrelatorFlags {
  'request-id-window-ms'?: string;
  'request-id-hold-ms'?: string;
  'warmup-records'?: string;
}

export const CORRELATOR_FLAG_OPTIONS = {
  'request-id-window-ms': { type: 'string' },
  'request-id-hold-ms': { type: 'string' },
  'warmup-records': { type: 'string' },
} as const;

const MAX_WARMUP_RECORDS = 10_000_000;

function ms(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > 3_600_000) {
    throw new ConfigError(`${name} "${raw}": expected whole milliseconds from ${min} to 3600000`);
  }
  return value;
}

function records(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > MAX_WARMUP_RECORDS) {
    throw new ConfigError(`${name} "${raw}": expected a whole number of records from 0 (no warm-up) to ${MAX_WARMUP_RECORDS}`);
  }
  return value;
}

export function resolveCorrelatorFlags(flags: CorrelatorFlags, env: Record<string, string | undefined>): Pick<PartitionedCorrelatorOptions, 'requestIdWindowMs' | 'requestIdHoldMs' | 'warmupRecords'> {
  const window = ms('--request-id-window-ms', flags['request-id-window-ms'] ?? env['CLOVISOR_REQUEST_ID_WINDOW_MS'], 1);
  const hold = ms('--request-id-hold-ms', flags['request-id-hold-ms'] ?? env['CLOVISOR_REQUEST_ID_HOLD_MS'], 0);
  const warmup = records('--warmup-records', flags['warmup-records'] ?? env['CLOVISOR_WARMUP_RECORDS']);
  return {
    ...(window === undefined ? {} : { requestIdWindowMs: window }),
    ...(hold === undefined ? {} : { requestIdHoldMs: hold }),
    ...(warmup === undefined ? {} : { warmupRecords: warmup }),
  };
}
