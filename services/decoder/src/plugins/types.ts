// The plugin-facing contract (documented in docs/plugins.md) and the host's limits and errors.
import { ClovisorError } from '@clovisor/core';
import type { Exchange, Protocol } from '../protocols/protocol.js';

/** What a plugin adds to a Transaction: string fields only (Transaction.attributes). */
export interface PluginFields {
  attributes: Record<string, string>;
}

/**
 * A protocol plugin: the built-in Protocol contract, except that `name` is any string,
 * `describe` returns string attributes, `detect` is optional (flows reach a plugin by their
 * port name hint or server port, not by sniffing), and `ports` may list server ports.
 */
export interface PluginProtocol<F = unknown, S = unknown>
  extends Omit<Protocol<F, S>, 'name' | 'describe' | 'detect'> {
  readonly name: string;
  /** server ports whose flows this plugin decodes whatever their hint (e.g. [11211]) */
  readonly ports?: readonly number[];
  detect?(bytes: Buffer, portHint: number | null): boolean;
  describe(exchange: Exchange<F>): PluginFields;
}

export interface PluginLimits {
  /** a batch (or tick, or flush) not answered within this is a PLUGIN_TIMEOUT; default 2000 */
  timeoutMs: number;
  /** loading the module (import + validation) in a fresh worker; default 5000 */
  loadTimeoutMs: number;
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
  stackSizeMb: number;
  /** transactions kept per batch, the rest dropped and counted; default 1000 */
  maxTransactionsPerBatch: number;
  /** attributes kept per transaction; default 64 */
  maxAttributes: number;
  maxAttributeKeyLength: number;
  /** longer values are cut to this many characters (counted); default 4096 */
  maxAttributeValueLength: number;
  /** calls waiting for one plugin's worker; beyond, PLUGIN_BUSY; default 64 */
  maxQueuedCalls: number;
  /** this many timeouts/crashes/OOMs in a row disable the plugin for cooldownMs */
  maxConsecutiveFailures: number;
  cooldownMs: number;
}

export const DEFAULT_PLUGIN_LIMITS: PluginLimits = {
  timeoutMs: 2000,
  loadTimeoutMs: 5000,
  maxOldGenerationSizeMb: 64,
  maxYoungGenerationSizeMb: 16,
  stackSizeMb: 4,
  maxTransactionsPerBatch: 1000,
  maxAttributes: 64,
  maxAttributeKeyLength: 128,
  maxAttributeValueLength: 4096,
  maxQueuedCalls: 64,
  maxConsecutiveFailures: 3,
  cooldownMs: 30_000,
};

export type PluginFailureCode =
  | 'PLUGIN_ERROR' | 'PLUGIN_TIMEOUT' | 'PLUGIN_MEMORY' | 'PLUGIN_CRASH'
  | 'PLUGIN_LOAD' | 'PLUGIN_BUSY' | 'PLUGIN_DISABLED';

/** Why a plugin did not process an input; the input goes to the dead-letter topic with this code. */
export class PluginError extends ClovisorError {
  constructor(code: PluginFailureCode, readonly protocol: string, message: string) {
    super(code, `plugin ${protocol}: ${message}`);
    this.name = 'PluginError';
  }
}

/** Where a plugin comes from: `--plugin`/CLOVISOR_PLUGINS, or the Redis hash clovisor_proto_cfg. */
export interface PluginSpec {
  protocol: string;
  path: string;
  source: 'flag' | 'redis';
}

/** Output the limits dropped or cut. */
export interface DropCounts {
  transactions: number;
  attributes: number;
  truncatedValues: number;
}

export function noDrops(): DropCounts {
  return { transactions: 0, attributes: 0, truncatedValues: 0 };
}
