import { ConfigError } from '@clovisor/core';
import type { IntExportStageOptions } from '@clovisor/exporter';

// The exporter's INT telemetry reports (docs/int.md). Off unless --int-collector /
// CLOVISOR_INT_COLLECTOR names a collector. Flags win over the environment.

export interface IntFlags {
  'int-collector'?: string;
  'int-version'?: string;
  'int-switch-id'?: string;
  'int-hw-id'?: string;
}

export const INT_FLAG_OPTIONS = {
  'int-collector': { type: 'string' },
  'int-version': { type: 'string' },
  'int-switch-id': { type: 'string' },
  'int-hw-id': { type: 'string' },
} as const;

export type IntExportConfig = Pick<IntExportStageOptions, 'collector' | 'version' | 'switchId' | 'hwId'>;

/** `<host>:<port>` or `[<v6>]:<port>`, port 0-65535 as written; null when it is neither. */
export function parseHostPort(raw: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(raw.trim());
  const port = match ? Number(match[3]) : -1;
  return match && port <= 65_535 ? { host: match[1] ?? match[2]!, port } : null;
}

/** host:port, [v6]:port */
export function parseCollector(raw: string): IntExportConfig['collector'] {
  const address = parseHostPort(raw);
  if (address === null || address.port < 1) {
    throw new ConfigError(`--int-collector "${raw}": expected <host>:<port> (e.g. 10.0.0.9:32766, [fd00::9]:32766), port 1-65535`);
  }
  return address;
}

function integer(name: string, raw: string | undefined, min: number, max: number): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw);
  if (!/^\s*(\d+|0x[0-9a-fA-F]+)\s*$/.test(raw) || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} "${raw}": expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** The INT settings, or null when no collector is configured (INT reports off). */
export function resolveIntFlags(flags: IntFlags, env: Record<string, string | undefined>): IntExportConfig | null {
  const collector = flags['int-collector'] ?? env['CLOVISOR_INT_COLLECTOR'];
  if (collector === undefined || collector.trim() === '') {
    const stray = (['int-version', 'int-switch-id', 'int-hw-id'] as const).find((f) => flags[f] !== undefined);
    if (stray) throw new ConfigError(`--${stray} needs --int-collector <host:port> (INT reports are off without a collector)`);
    return null;
  }
  const versionRaw = (flags['int-version'] ?? env['CLOVISOR_INT_VERSION'] ?? '0.5').trim();
  const version = versionRaw === '0.5' ? '0.5' : versionRaw === '2' || versionRaw === '2.0' ? '2' : null;
  if (version === null) throw new ConfigError(`--int-version "${versionRaw}": expected 0.5 (int-host-reporter's format) or 2 (Telemetry Report v2.0)`);
  return {
    collector: parseCollector(collector),
    version,
    switchId: integer('--int-switch-id', flags['int-switch-id'] ?? env['CLOVISOR_INT_SWITCH_ID'], 0, 0xffff_ffff),
    hwId: integer('--int-hw-id', flags['int-hw-id'] ?? env['CLOVISOR_INT_HW_ID'], 0, 63) ?? 0,
  };
}
