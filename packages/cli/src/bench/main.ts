// `npm run bench`: every benchmark in one run, printed as a table and written to
// bench/results/latest.json as {"<name>": {"value": <number>, "unit": "<unit>"}}.
import { fileURLToPath } from 'node:url';
import { stackUp } from '@clovisor/stack';
import { benchHttp1, benchHttp2 } from '@clovisor/decoder';
import { benchFlowTableSweep } from '@clovisor/capture';
import { benchCaptureOverhead } from './capture-overhead.js';
import { benchIntOverhead } from './int-overhead.js';
import { benchIdleFlowMemory } from './idle-flow-memory.js';
import { benchCaptureRss } from './capture-rss.js';
import { benchReplaySpeed } from './replay-speed.js';
import { benchSpansPipeline } from './spans-pipeline.js';
import { benchIntReports } from './int-reports.js';
import { benchSegmentEncode } from './segment-encode.js';
import { printTable, writeResults, type BenchResults } from './results.js';

const RESULTS = fileURLToPath(new URL('../../../../bench/results/latest.json', import.meta.url));
const seconds = Number(process.env['CLOVISOR_BENCH_SECONDS'] ?? 8);
const rounds = Number(process.env['CLOVISOR_BENCH_ROUNDS'] ?? 2);

const results: BenchResults = {};
process.stderr.write('bench: decoder HTTP/1.1 throughput on a recorded segment stream …\n');
const decoder = await benchHttp1();
results['decoder_http1_transactions_per_s'] = { value: decoder.transactionsPerSecond, unit: 'transactions/s' };

process.stderr.write('bench: decoder HTTP/2 (gRPC) throughput on a recorded segment stream …\n');
const http2 = await benchHttp2();
results['decoder_http2_transactions_per_s'] = { value: http2.transactionsPerSecond, unit: 'transactions/s' };

process.stderr.write('bench: decoder memory per idle HTTP/1 flow (20,000 flows, first partial request each) …\n');
results['decoder_idle_flow_bytes'] = { value: benchIdleFlowMemory(20_000).bytesPerFlow, unit: 'bytes/flow' };

process.stderr.write('bench: kernel flow table sweep with 100,000 live flows …\n');
const sweep = benchFlowTableSweep(100_000);
results['flow_table_sweep_pass_ms'] = { value: sweep.passMs, unit: 'ms/pass (100k live flows)' };

process.stderr.write('bench: SegmentBatch Avro encoding, avsc vs the hand-written writer …\n');
Object.assign(results, benchSegmentEncode());

process.stderr.write(`bench: HTTP through a veth, untraced vs traced (${rounds} rounds of ${seconds} s each) …\n`);
const stack = await stackUp({ log: (line) => process.stderr.write(`stack: ${line}\n`) });
Object.assign(results, await benchCaptureOverhead(stack, seconds, rounds));

process.stderr.write(`bench: INT eBPF on two pod veths, pod → pod HTTP and bulk TCP, untraced vs traced (${rounds} rounds of ${seconds} s each) …\n`);
Object.assign(results, await benchIntOverhead(seconds, rounds));

process.stderr.write('bench: capture agent memory with 100,000 active flows (UDP, one datagram each, through a traced veth) …\n');
Object.assign(results, await benchCaptureRss(stack));
const replayRps = Number(process.env['CLOVISOR_BENCH_REPLAY_RPS'] ?? 200);
process.stderr.write(`bench: replay of ${seconds} s of HTTP at ${replayRps} requests/s captured on two veths …\n`);
Object.assign(results, await benchReplaySpeed(stack, seconds, replayRps));
Object.assign(results, await benchSpansPipeline(stack, seconds));
Object.assign(results, await benchIntReports(stack));

process.stdout.write(printTable(results) + '\n');
writeResults(RESULTS, results);
process.stderr.write(`bench: written to ${RESULTS}\n`);
