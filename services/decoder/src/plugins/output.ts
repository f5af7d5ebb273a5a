// Output limits for plugin transactions. Applied in the worker (so an oversized answer is never
// cloned across threads) and again by the host (the plugin shares the worker's isolate and
// could tamper with the worker's copy of this code).
import type { Transaction } from '@clovisor/core';
import type { DropCounts, PluginLimits } from './types.js';

type OutputLimits = Pick<PluginLimits, 'maxTransactionsPerBatch' | 'maxAttributes' | 'maxAttributeKeyLength' | 'maxAttributeValueLength'>;

/** Attributes within the limits: string values only, at most maxAttributes, long values cut. */
export function limitAttributes(attributes: unknown, limits: OutputLimits, drops: DropCounts): Record<string, string> {
  const out: Record<string, string> = {};
  if (attributes === null || typeof attributes !== 'object') return out;
  let kept = 0;
  for (const [key, value] of Object.entries(attributes as Record<string, unknown>)) {
    if (typeof value !== 'string' || key.length > limits.maxAttributeKeyLength || kept >= limits.maxAttributes) {
      drops.attributes++;
      continue;
    }
    if (value.length > limits.maxAttributeValueLength) drops.truncatedValues++;
    out[key] = value.length > limits.maxAttributeValueLength ? value.slice(0, limits.maxAttributeValueLength) : value;
    kept++;
  }
  return out;
}

/** At most maxTransactionsPerBatch transactions, each with limited attributes. */
export function limitTransactions(txs: unknown, limits: OutputLimits, drops: DropCounts): Transaction[] {
  if (!Array.isArray(txs)) return [];
  if (txs.length > limits.maxTransactionsPerBatch) drops.transactions += txs.length - limits.maxTransactionsPerBatch;
  return (txs.slice(0, limits.maxTransactionsPerBatch) as Transaction[])
    .map((tx) => ({ ...tx, notes: limitNotes(tx.notes), attributes: limitAttributes(tx.attributes, limits, drops) }));
}

/** Notes come from the plugin's stitch(): strings only, a few, short (they must encode as Avro). */
function limitNotes(notes: unknown): string[] {
  if (!Array.isArray(notes)) return [];
  return notes.filter((n): n is string => typeof n === 'string').slice(0, 32).map((n) => n.slice(0, 512));
}
