// What the host and a plugin worker say to each other (structured clone: Buffers arrive as
// Uint8Array, bigints survive).
import type { SegmentBatch, Transaction } from '@clovisor/core';
import type { DropCounts, PluginLimits } from './types.js';

export interface WorkerInit {
  protocol: string;
  path: string;
  generation: number;
  limits: PluginLimits;
}

export type ToWorker =
  | { id: number; kind: 'batch'; batch: SegmentBatch }
  | { id: number; kind: 'tick'; nowNs: bigint }
  | { id: number; kind: 'flush' };

export type FromWorker =
  | { kind: 'ready'; portNames: string[]; ports: number[] }
  | { kind: 'invalid'; reason: string }
  | { id: number; kind: 'done'; transactions: Transaction[]; drops: DropCounts }
  | { id: number; kind: 'failed'; message: string; drops: DropCounts };
