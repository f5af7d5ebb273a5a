import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StackEndpoints } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor } from '../lab/pipeline-process.js';
import { isolatedTopics } from '../lab/isolated-topics.js';
import type { BenchResults } from './results.js';

const SERVER = fileURLToPath(new URL('../lab/http-server.js', import.meta.url));
const LOAD = fileURLToPath(new URL('../lab/load-client.js', import.meta.url));
const PORT = 8080;

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function load(client: Pod, server: Pod, seconds: number): Promise<LoadResult> {
  const { stdout } = await client.exec(process.execPath, [LOAD, `http://${server.address}:${PORT}/`, '8', String(seconds)], (seconds + 30) * 1000);
  return JSON.parse(stdout) as LoadResult;
}

/**
 * HTTP requests/s through a veth in one run: untraced, with `clovisor capture` on both veths
 * (eBPF + agent + Kafka), and with the whole pipeline (`clovisor run`: + decoder, correlator,
 * exporter). Everything shares this machine's two cores with the load generator, the server,
 * Kafka and Jaeger, so the full-pipeline figure is the cost of running all of it on one node.
 * Rounds alternate so drift hits every variant.
 */
export async function benchCaptureOverhead(stack: StackEndpoints, seconds: number, rounds: number): Promise<BenchResults> {
  const lab = new Lab();
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const front = await lab.addPod('front');
    const back = await lab.addPod('back');
    const server = back.spawn(process.execPath, [SERVER, String(PORT)]);
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    await load(front, back, 1); // warm up the server's JIT
    const untraced: LoadResult[] = [];
    const captureOnly: LoadResult[] = [];
    const fullPipeline: LoadResult[] = [];
    /** the capture agent's CPU seconds during its loads: on two shared cores it comes out of the traffic's */
    let captureCpuSeconds = 0;
    const interfaces = ['--interface', `${front.hostInterface}=frontend`, '--interface', `${back.hostInterface}=backend`, '--port', `${PORT}=http`];
    // the capture-only rounds publish without consuming: their backlog goes with these topics
    const topics = isolatedTopics(stack.brokers, 'bench');
    cleanups.push(() => topics.remove());
    const env = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp };
    for (let round = 0; round < rounds; round++) {
      untraced.push(await load(front, back, seconds));
      for (const [command, results] of [['capture', captureOnly], ['run', fullPipeline]] as const) {
        // metrics on as in production, on a port of its own (another agent may hold the default)
        const pipeline = await startClovisor([command, ...interfaces, '--metrics-port', String(await freePort())], env);
        const cpuBefore = cpuSeconds(pipeline.child.pid!);
        results.push(await load(front, back, seconds));
        if (command === 'capture') captureCpuSeconds += cpuSeconds(pipeline.child.pid!) - cpuBefore;
        await pipeline.stop();
      }
    }
    const rate = (rs: LoadResult[]) => rs.reduce((s, r) => s + r.requests, 0) / rs.reduce((s, r) => s + r.seconds, 0);
    const p99 = (rs: LoadResult[]) => Math.max(...rs.map((r) => r.p99Ms));
    const base = rate(untraced);
    return {
      'http_veth_untraced_rps': { value: base, unit: 'requests/s' },
      'http_veth_capture_only_rps': { value: rate(captureOnly), unit: 'requests/s' },
      'http_veth_capture_only_to_untraced_ratio': { value: rate(captureOnly) / base, unit: 'ratio' },
      'http_veth_full_pipeline_rps': { value: rate(fullPipeline), unit: 'requests/s' },
      'http_veth_full_pipeline_to_untraced_ratio': { value: rate(fullPipeline) / base, unit: 'ratio' },
      'http_veth_capture_agent_cpu_per_request': { value: (captureCpuSeconds * 1e6) / captureOnly.reduce((s, r) => s + r.requests, 0), unit: 'us/request' },
      'http_veth_untraced_p99': { value: p99(untraced), unit: 'ms' },
      'http_veth_capture_only_p99': { value: p99(captureOnly), unit: 'ms' },
      'http_veth_full_pipeline_p99': { value: p99(fullPipeline), unit: 'ms' },
    };
  } finally {
    await lab.destroy();
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}
