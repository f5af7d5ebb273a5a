// Replay speed on real recorded traffic: HTTP at a fixed rate between two lab pods, captured
// by `clovisor capture` on both veths into an isolated segments topic, then `clovisor replay`
// of the whole topic (decode → correlate → the replay's Kafka topics), in process.
// The speedup is the capture-time span of the replayed segments over the replay's duration
// (Kafka group join and the final writes included): how much faster than real time history
// is re-decoded at that traffic rate.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger } from '@clovisor/core';
import type { StackEndpoints } from '@clovisor/stack';
import { Lab } from '../lab/pods.js';
import { startClovisor } from '../lab/pipeline-process.js';
import { isolatedTopics } from '../lab/isolated-topics.js';
import { replayTopics, runReplay } from '../replay/run.js';
import type { BenchResults } from './results.js';

const SERVER = fileURLToPath(new URL('../lab/http-server.js', import.meta.url));
const PACED = fileURLToPath(new URL('../lab/paced-client.js', import.meta.url));
const PORT = 8080;

export async function benchReplaySpeed(stack: StackEndpoints, seconds: number, requestsPerSecond: number): Promise<BenchResults> {
  const lab = new Lab();
  const topics = isolatedTopics(stack.brokers, 'bench-replay');
  const id = `bench-${randomBytes(3).toString('hex')}`;
  try {
    const front = await lab.addPod('front');
    const back = await lab.addPod('back');
    const server = back.spawn(process.execPath, [SERVER, String(PORT)]);
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    const capture = await startClovisor(
      ['capture', '--interface', `${front.hostInterface}=frontend`, '--interface', `${back.hostInterface}=backend`, '--port', `${PORT}=http`, '--metrics-port', '0'],
      { ...topics.env, CLOVISOR_BROKERS: stack.brokers },
    );
    const { stdout } = await front.exec(process.execPath, [PACED, `http://${back.address}:${PORT}/`, String(requestsPerSecond), String(seconds), '4'], (seconds + 30) * 1000);
    await capture.stop();
    const sent = JSON.parse(stdout) as { requests: number; errors: number; seconds: number };

    const result = await runReplay({
      brokers: stack.brokers.split(','), from: `clovisor.segments.v1${topics.suffix}`, start: null, end: null, partitions: [], id,
      plugins: [], legacyTags: false, otlp: null, progress: null, log: createLogger('bench-replay', (line) => { if (process.env['CLOVISOR_BENCH_VERBOSE']) process.stderr.write(line + '\n'); }),
    });
    const c = result.counts;
    const replaySeconds = result.durationMs / 1000;
    const capturedSeconds = Number(c.lastSegmentNs - c.firstSegmentNs) / 1e9;
    process.stderr.write(`bench: replayed ${c.records} records (${c.segments} segments, ${c.transactions} transactions, ${c.spans} spans) of ${sent.requests} requests captured over ${capturedSeconds.toFixed(1)} s in ${replaySeconds.toFixed(2)} s\n`);
    return {
      'replay_records_per_s': { value: c.records / replaySeconds, unit: 'records/s' },
      'replay_segments_per_s': { value: c.segments / replaySeconds, unit: 'segments/s' },
      'replay_transactions_per_s': { value: c.transactions / replaySeconds, unit: 'transactions/s' },
      // requests of the recording re-decoded per second: a recording of traffic up to a tenth
      // of this rate replays at least 10x faster than it was captured
      'replay_requests_per_s': { value: sent.requests / replaySeconds, unit: 'requests/s' },
      'replay_speedup_vs_capture': { value: capturedSeconds / replaySeconds, unit: 'x real time' },
      'replay_recorded_traffic_rps': { value: sent.requests / sent.seconds, unit: 'requests/s' },
    };
  } finally {
    await lab.destroy();
    await topics.remove().catch(() => undefined);
    await deleteTopics(stack.brokers, Object.values(replayTopics(id)));
  }
}

async function deleteTopics(brokers: string, topics: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'clovisor-bench-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  } finally {
    await admin.disconnect();
  }
}
