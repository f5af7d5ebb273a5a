// The exporter stage alone, timed: started on the topics of CLOVISOR_TOPIC_SUFFIX (the spans are
// there already), it prints {"spans": n, "seconds": s} once it has exported argv[2] spans.
// The clock starts at the first span accepted, so joining the consumer group is not counted
// (the first batch is then left out of the count too).
// Run: node exporter-process.js <spans> <otlp-endpoint> <http|grpc>
import { RecordProducer, createKafka, createLogger } from '@clovisor/core';
import { ExporterStage } from '@clovisor/exporter';

const [countArg = '0', endpoint = 'http://127.0.0.1:4318', protocol = 'http'] = process.argv.slice(2);
const count = Number(countArg);
const log = createLogger('bench-exporter');
const kafka = createKafka((process.env['CLOVISOR_BROKERS'] ?? '127.0.0.1:9092').split(','), 'bench-exporter', log);
const producer = new RecordProducer(kafka, log);
await producer.start();
const stage = new ExporterStage(kafka, producer, { protocol: protocol === 'grpc' ? 'grpc' : 'http', endpoint }, log);
await stage.start();
const deadline = Date.now() + 300_000;
let first: { at: bigint; spans: number } | null = null;
while (stage.stats().spansExported < count && Date.now() < deadline) {
  const n = stage.stats().spansExported;
  if (first === null && n > 0) first = { at: process.hrtime.bigint(), spans: n };
  await new Promise((r) => setTimeout(r, 5));
}
const end = process.hrtime.bigint();
const exported = stage.stats().spansExported;
await stage.stop();
await producer.stop();
const seconds = first === null ? 0 : Number(end - first.at) / 1e9;
process.stdout.write(JSON.stringify({ spans: exported - (first?.spans ?? 0), seconds, exported }) + '\n');
