import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { StackEndpoints } from '@clovisor/stack';
import { Lab, type Pod } from '../lab/pods.js';
import { startClovisor } from '../lab/pipeline-process.js';
import { isolatedTopics } from '../lab/isolated-topics.js';
import { tag, type JaegerTrace } from '../lab/jaeger-query.js';
import type { BenchResults } from './results.js';
import { stageTimes } from './stage-times.js';

const SERVER = fileURLToPath(new URL('../lab/http-server.js', import.meta.url));
const PACED = fileURLToPath(new URL('../lab/paced-load.js', import.meta.url));
const PORT = 8080;
const PROBES_PER_S = 20;
/** how long after the load a probe may still show up in Jaeger */
const SETTLE_MS = 30_000;

interface PacedResult {
  sent: number;
  completed: number;
  errors: number;
  skipped: number;
  seconds: number;
  sendTimes: Record<string, number>;
}

export interface E2eLatency {
  /** requests/s completed by the load (the probes not counted) */
  rateRps: number;
  offeredRps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  probes: number;
  /** probes not in Jaeger (both spans) SETTLE_MS after the load ended */
  missing: number;
  /** p50 / p99 from sending a probe to its records' Kafka timestamps: where the time goes */
  toTransactionMs: [number, number];
  toSpanMs: [number, number];
  /** p50 of the probes sent in the second half minus the first half: > 0 when a backlog grows */
  driftMs: number;
}

async function paced(pod: Pod, server: Pod, rate: number, seconds: number, connections: number, probeTag?: string): Promise<PacedResult> {
  const args = [PACED, `http://${server.address}:${PORT}`, String(rate), String(seconds), String(connections)];
  if (probeTag !== undefined) args.push(probeTag);
  const { stdout } = await pod.exec(process.execPath, args, (seconds + 60) * 1000);
  return JSON.parse(stdout) as PacedResult;
}

/**
 * Polls Jaeger's search for the probe service and notes when each probe request's trace first
 * held both its spans (the CLIENT capture on the probe pod, the SERVER capture on the server pod).
 */
class ProbeWatcher {
  readonly seen = new Map<string, number>();
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly queryBase: string, private readonly service: string, private readonly startUs: number) {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.poll().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async poll(): Promise<void> {
    const endUs = (Date.now() + 600_000) * 1000;
    const url = `${this.queryBase}/api/traces?service=${encodeURIComponent(this.service)}&start=${this.startUs}&end=${endUs}&limit=100000`;
    const res = await fetch(url);
    if (!res.ok) return;
    const now = Date.now();
    const { data } = (await res.json()) as { data: JaegerTrace[] | null };
    for (const trace of data ?? []) {
      if (trace.spans.length < 2) continue;
      for (const span of trace.spans) {
        const path = tag(span, 'url.path');
        if (typeof path === 'string' && !this.seen.has(path)) this.seen.set(path, now);
      }
    }
  }
}

/**
 * End-to-end latency of the whole pipeline (`clovisor run`: capture → Kafka → decoder →
 * correlator → exporter → Jaeger; one process per stage unless `split` is false) at a steady load: a load pod sends `rate` requests/s to a
 * server pod, a probe pod 20 requests/s with unique paths; the latency of a probe is the time
 * from sending it to its trace (both spans) being returned by Jaeger's query API, polled
 * every 100 ms (so figures include up to ~0.1 s of polling plus the query's own time).
 */
export async function benchE2eLatency(stack: StackEndpoints, rate: number, seconds: number, split = true): Promise<E2eLatency> {
  const lab = new Lab();
  const topics = isolatedTopics(stack.brokers, 'bench-e2e');
  const id = randomBytes(3).toString('hex');
  const services = { load: `bench-e2e-${id}-load`, probe: `bench-e2e-${id}-probe`, server: `bench-e2e-${id}-server` };
  const pipelines: Array<Awaited<ReturnType<typeof startClovisor>>> = [];
  try {
    const load = await lab.addPod('load');
    const probe = await lab.addPod('probe');
    const back = await lab.addPod('back');
    const server = back.spawn(process.execPath, [SERVER, String(PORT)]);
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    const env = { ...topics.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp };
    const capture = [
      '--interface', `${load.hostInterface}=${services.load}`,
      '--interface', `${probe.hostInterface}=${services.probe}`,
      '--interface', `${back.hostInterface}=${services.server}`,
      '--port', `${PORT}=http`,
      '--metrics-port', '0',
    ];
    // one process per stage, as deployed (each stage its own consumer group, scaled on its own),
    // so they share both cores; `clovisor run` puts all four on one event loop
    const commands = split ? [['capture', ...capture], ['decode', '--metrics-port', '0'], ['correlate', '--metrics-port', '0'], ['export', '--metrics-port', '0']] : [['run', ...capture]];
    for (const args of commands.reverse()) pipelines.push(await startClovisor(args, env));
    await paced(load, back, 50, 2, 4); // warm up the server, the pipeline and its topics
    const watcher = new ProbeWatcher(stack.jaegerQuery, services.probe, Date.now() * 1000);
    const [main, probes] = await Promise.all([
      paced(load, back, rate - PROBES_PER_S, seconds, 64),
      paced(probe, back, PROBES_PER_S, seconds, 4, id),
    ]);
    const settleUntil = Date.now() + SETTLE_MS;
    const paths = Object.keys(probes.sendTimes);
    while (Date.now() < settleUntil && paths.some((p) => !watcher.seen.has(p))) await new Promise((r) => setTimeout(r, 200));
    await watcher.stop();
    const latencyOf = (p: string) => watcher.seen.get(p)! - probes.sendTimes[p]!;
    const arrived = paths.filter((p) => watcher.seen.has(p)).sort((a, b) => probes.sendTimes[a]! - probes.sendTimes[b]!);
    const half = Math.floor(arrived.length / 2);
    const median = (ps: string[]) => percentile(ps.map(latencyOf).sort((a, b) => a - b), 0.5);
    const latencies = arrived.map(latencyOf).sort((a, b) => a - b);
    const pct = (q: number) => percentile(latencies, q);
    const times = await stageTimes(stack.brokers, topics.suffix, `/p/${id}/`);
    const delays = (at: Map<string, number>) => {
      const ms = paths.filter((p) => at.has(p)).map((p) => at.get(p)! - probes.sendTimes[p]!).sort((a, b) => a - b);
      return [percentile(ms, 0.5), percentile(ms, 0.99)] as [number, number];
    };
    return {
      driftMs: median(arrived.slice(half)) - median(arrived.slice(0, half)),
      toTransactionMs: delays(times.transactions),
      toSpanMs: delays(times.spans),
      rateRps: main.completed / main.seconds,
      offeredRps: main.sent / main.seconds,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      maxMs: latencies[latencies.length - 1] ?? Number.NaN,
      probes: paths.length,
      missing: paths.length - latencies.length,
    };
  } finally {
    for (const pipeline of pipelines.reverse()) await pipeline.stop().catch(() => undefined);
    await lab.destroy();
    await topics.remove().catch(() => undefined);
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * Steady means: the load generator sent what was asked (≥ 97 %), every probe reached Jaeger, and
 * latency did not grow during the run (drift ≤ 1 s). Rates are tried from `target` down, halving,
 * until one is steady (at least `floor`); the last one tried is reported.
 */
export async function benchE2eSteady(stack: StackEndpoints, target: number, seconds: number, floor = 100, log: (line: string) => void = () => undefined): Promise<E2eLatency> {
  for (let rate = target; ; rate = Math.max(floor, Math.round(rate / 2))) {
    const r = await benchE2eLatency(stack, rate, seconds);
    const steady = r.offeredRps >= 0.97 * (rate - PROBES_PER_S) && r.missing === 0 && r.driftMs <= 1000;
    log(`${rate} requests/s asked: ${Math.round(r.rateRps)} done, p50 ${Math.round(r.p50Ms)} ms, p99 ${Math.round(r.p99Ms)} ms, drift ${Math.round(r.driftMs)} ms, ${r.missing} probes missing${steady ? '' : ' — not steady'}`);
    if (steady || rate <= floor) return r;
  }
}

export function e2eResults(r: E2eLatency): BenchResults {
  return {
    e2e_rate_rps: { value: r.rateRps, unit: 'requests/s' },
    e2e_latency_p50_ms: { value: r.p50Ms, unit: 'ms' },
    e2e_latency_p99_ms: { value: r.p99Ms, unit: 'ms' },
    e2e_latency_max_ms: { value: r.maxMs, unit: 'ms' },
    e2e_probes_missing: { value: r.missing, unit: 'probes' },
    e2e_to_transaction_p50_ms: { value: r.toTransactionMs[0], unit: 'ms' },
    e2e_to_span_p50_ms: { value: r.toSpanMs[0], unit: 'ms' },
  };
}
