import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeGoal } from './goals.js';

export type BenchResults = Record<string, { value: number; unit: string }>;

export function printTable(results: BenchResults): string {
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  return Object.entries(results)
    .map(([name, { value, unit }]) => `${name.padEnd(width)}  ${formatValue(value).padStart(12)}  ${unit}  ${describeGoal(name, value)}`.trimEnd())
    .join('\n');
}

function formatValue(value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(3);
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
}
