// Test and bench support: the recorded pcaps under test-fixtures/ (see test-fixtures/record/).
import { readFileSync } from 'node:fs';
import type { SegmentBatch, Transaction } from '@clovisor/core';
import { FlowDecoder, type FlowDecoderOptions } from '../core/decoder.js';
import type { DecoderStats } from '../core/stats.js';
import { readCaptureFile, type PcapReadOptions } from '../io/pcap/index.js';

const DIR = new URL('../../test-fixtures/', import.meta.url);

export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(name, DIR));
}

export function fixtureBatches(name: string, options: PcapReadOptions = {}): SegmentBatch[] {
  return readCaptureFile(fixtureBytes(name), options).batches;
}

/** Push batches through a fresh decoder and flush it. */
export function decodeBatches(batches: SegmentBatch[], options: FlowDecoderOptions = {}):
  { transactions: Transaction[]; stats: DecoderStats } {
  const decoder = new FlowDecoder(options);
  const transactions: Transaction[] = [];
  for (const b of batches) transactions.push(...decoder.push(b));
  transactions.push(...decoder.flushAll());
  return { transactions, stats: decoder.stats() };
}

export function decodeFixture(name: string, read: PcapReadOptions = {}, options: FlowDecoderOptions = {}):
  { transactions: Transaction[]; stats: DecoderStats } {
  return decodeBatches(fixtureBatches(name, read), options);
}
