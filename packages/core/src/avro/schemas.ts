import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { ConfigError } from '../errors.js';
import { RecordCodec } from './codec.js';
import { segmentBatchWriter } from './segment-batch-writer.js';
import type { DeadLetter, IntReportBatch, SegmentBatch, SpanRecord, Transaction } from '../records.js';

// The schemas live in the repository's schemas/ folder (one file per record type, versioned by
// topic suffix); older versions of a schema stay in schemas/history/<name>.v1.<n>.avsc so
// readers keep resolving records written before a compatible change.

function schemasDir(): string {
  const fromEnv = process.env['CLOVISOR_SCHEMAS_DIR'];
  if (fromEnv) return fromEnv;
  // packages/core/dist/avro -> repository root
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'schemas');
  if (!existsSync(dir)) throw new ConfigError(`Avro schemas not found at ${dir}; set CLOVISOR_SCHEMAS_DIR`);
  return dir;
}

function load(file: string): avro.Schema {
  return JSON.parse(readFileSync(join(schemasDir(), file), 'utf8')) as avro.Schema;
}

function history(base: string): avro.Schema[] {
  const dir = join(schemasDir(), 'history');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`) && f.endsWith('.avsc'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as avro.Schema);
}

/** The hand-written body writer while the schema is the one it follows; else avsc's (segment-batch-writer.test.ts then fails). */
function segmentsCodec(): RecordCodec<SegmentBatch> {
  const codec = codecFor<SegmentBatch>('segment-batch.v1');
  codec.useBodyWriter(segmentBatchWriter);
  return codec;
}

function codecFor<T>(base: string): RecordCodec<T> {
  return new RecordCodec<T>(load(`${base}.avsc`), history(base));
}

export interface Codecs {
  segments: RecordCodec<SegmentBatch>;
  int: RecordCodec<IntReportBatch>;
  transactions: RecordCodec<Transaction>;
  spans: RecordCodec<SpanRecord>;
  deadletter: RecordCodec<DeadLetter>;
}

let cached: Codecs | undefined;

/** Codecs for every record type, built once per process. */
export function codecs(): Codecs {
  cached ??= {
    segments: segmentsCodec(),
    int: codecFor<IntReportBatch>('int-report.v1'),
    transactions: codecFor<Transaction>('transaction.v1'),
    spans: codecFor<SpanRecord>('span.v1'),
    deadletter: codecFor<DeadLetter>('deadletter.v1'),
  };
  return cached;
}
