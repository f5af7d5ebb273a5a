// `clovisor pcap export`: a bounded range of clovisor.segments.v1 → a pcapng file. The thin
// shell: read the range from Kafka (topic-range.ts), decode each SegmentBatch, hand it to the
// pure PcapngExport, write its blocks. The file appears under its name only when complete.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { ConfigError, DecodeError, codecs, createKafka, createLogger, errorMessage, loadRegistrySchemas, useSchemaRegistry } from '@clovisor/core';
import { PcapngExport, type ExportStats } from './pcap-export-writer.js';
import { parseBound, readRange, resolveRange, type RangeBound } from './topic-range.js';
import { probeKafka } from './pcap-import.js';

export interface PcapExportOptions {
  brokers: string[];
  topic: string;
  output: string;
  flows: string[];
  partitions: number[] | null;
  start: string | null;
  end: string | null;
  /** read Confluent-framed records with the schemas of this registry */
  schemaRegistry: string | null;
}

export interface PcapExportSummary extends ExportStats {
  records: number;
  /** records that are not a SegmentBatch this reader can decode (skipped) */
  undecodable: number;
}

/** --partition values → partition numbers. */
export function parsePartitions(values: string[] | undefined): number[] | null {
  if (!values || values.length === 0) return null;
  return values.flatMap((v) => v.split(',')).map((v) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--partition "${v}": expected a partition number (0, 1, ...)`);
    return n;
  });
}

export function parseFlowIds(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean).map((v) => {
    if (!/^[0-9a-f]{16}$/.test(v)) throw new ConfigError(`--flow "${v}": a flow id is 16 lower-case hex digits (the key of clovisor.segments.v1, flowId in transactions)`);
    return v;
  });
}

const timeNs = (bound: RangeBound | null): bigint | null => (bound?.kind === 'time' ? bound.ns : null);

export async function exportPcap(options: PcapExportOptions): Promise<PcapExportSummary> {
  const start = options.start === null ? null : parseBound('--start', options.start);
  const end = options.end === null ? null : parseBound('--end', options.end);
  await probeKafka(options.brokers);
  if (options.schemaRegistry !== null) await useSchemaRegistry(options.schemaRegistry, []);
  const log = createLogger('clovisor-pcap');
  const kafka = createKafka(options.brokers, 'clovisor-pcap-export', log);
  const ranges = await resolveRange(kafka, options.topic, options.partitions, start, end);
  log.info('exporting', { topic: options.topic, ranges: ranges.map((r) => `${r.partition}:${r.start}-${r.end}`).join(' ') });

  const exporter = new PcapngExport({ flows: new Set(options.flows), startNs: timeNs(start), endNs: timeNs(end) });
  const codec = codecs().segments;
  const partial = `${options.output}.partial`;
  const file = createWriteStream(partial);
  const fileFailed = new Promise<never>((_, reject) => file.on('error', (err) => reject(new ConfigError(`${options.output}: cannot write: ${errorMessage(err)}`, { cause: err }))));
  fileFailed.catch(() => undefined);
  const write = async (blocks: Buffer[]): Promise<void> => {
    for (const b of blocks) {
      if (!file.write(b)) await Promise.race([new Promise<void>((resolve) => file.once('drain', () => resolve())), fileFailed]);
    }
  };
  const summary = { records: 0, undecodable: 0 };
  try {
    await write([exporter.header()]);
    await readRange(kafka, options.topic, ranges, async (record) => {
      summary.records++;
      await loadRegistrySchemas([record.value]);
      let batch;
      try {
        batch = codec.decode(record.value);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        summary.undecodable++;
        log.warn('record skipped: not a readable SegmentBatch', { partition: record.partition, offset: record.offset, error: err.message });
        return;
      }
      await write(exporter.add(batch));
    });
    await write(exporter.finish());
    file.end();
    await Promise.race([finished(file), fileFailed]);
    await rename(partial, options.output);
  } catch (err) {
    file.destroy();
    await rm(partial, { force: true });
    throw err;
  }
  return { ...exporter.stats, ...summary };
}
