import { readFileSync } from 'node:fs';
import type { StackEndpoints } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { Lab } from '../lab/pods.js';
import { startClovisor } from '../lab/pipeline-process.js';
import { isolatedTopics } from '../lab/isolated-topics.js';
import type { BenchResults } from './results.js';

// Issue 3 §8: the capture agent's resident memory with 100,000 active flows. A generator in one
// pod sends one small UDP datagram from each of 100,000 distinct (source port, destination port)
// pairs to another pod, through the generator pod's traced veth; once the agent's flow table holds them all
// (clovisor_capture_flows_active on /metrics), its VmRSS is read from /proc.

const FLOWS = 100_000;
const DEST_PORTS = [9101, 9102, 9103, 9104];
const SOURCE_PORT_BASE = 20_000;

// One datagram per flow; sockets are opened and closed one by one, so the generator needs no
// more than one file descriptor. Paced to ~50k/s so the ring buffer never overflows.
const GENERATOR = `
import socket, sys, time
dst, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ports = [int(p) for p in sys.argv[4].split(',')]
per = (n + len(ports) - 1) // len(ports)
sent, t0 = 0, time.monotonic()
for dport in ports:
    for sport in range(base, base + per):
        if sent == n: break
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('', sport))
        s.sendto(b'clovisor-bench-flow', (dst, dport))
        s.close()
        sent += 1
        if sent % 5000 == 0:
            ahead = sent / 50000 - (time.monotonic() - t0)
            if ahead > 0: time.sleep(ahead)
print(sent)
`;

function metric(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

export interface CaptureRssResult {
  /** V8 heap in use at the measurement (live flows plus garbage not yet collected) */
  heapUsedMb: number;
  rssMb: number;
  /** VmHWM: the most it held, during the burst that opened the flows */
  peakRssMb: number;
  rssIdleMb: number;
  flowsActive: number;
  lost: number;
}

export async function measureCaptureRss(stack: StackEndpoints, flows = FLOWS): Promise<CaptureRssResult> {
  const lab = new Lab();
  const topics = isolatedTopics(stack.brokers, 'bench-rss');
  try {
    const gen = await lab.addPod('gen');
    const sink = await lab.addPod('sink');
    const metricsPort = await freePort();
    const ports = DEST_PORTS.flatMap((p) => ['--port', `${p}=udp`]);
    const agent = await startClovisor(
      // only the generator's veth: a datagram is then one flow, not one per veth it crosses
      ['capture', '--interface', `${gen.hostInterface}=gen`, ...ports, '--metrics-port', String(metricsPort)],
      { ...topics.env, CLOVISOR_BROKERS: stack.brokers },
    );
    try {
      const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 1000));
      const rssIdleMb = statusMb(agent.child.pid!, 'VmRSS');
      await gen.exec('python3', ['-c', GENERATOR, sink.address, String(flows), String(SOURCE_PORT_BASE), DEST_PORTS.join(',')], 120_000);
      // wait until the agent has them all (or stops growing)
      let active = 0;
      for (let last = -1, still = 0; still < 10 && active < flows; ) {
        await new Promise((r) => setTimeout(r, 500));
        active = metric(await scrape(), 'clovisor_capture_flows_active');
        still = active === last ? still + 1 : 0;
        last = active;
      }
      // then until the burst's batches are out of the send queue: the steady state of 100k flows
      for (let i = 0; i < 60 && metric(await scrape(), 'clovisor_capture_segment_batches_queued') > 0; i++) await new Promise((r) => setTimeout(r, 500));
      await new Promise((r) => setTimeout(r, 2000));
      const text = await scrape();
      return {
        rssMb: statusMb(agent.child.pid!, 'VmRSS'),
        heapUsedMb: metric(text, 'nodejs_heap_size_used_bytes') / 1048576,
        peakRssMb: statusMb(agent.child.pid!, 'VmHWM'),
        rssIdleMb,
        flowsActive: active,
        lost: metric(text, 'clovisor_capture_kernel_lost_events_total') + metric(text, 'clovisor_capture_ring_dropped_records_total'),
      };
    } finally {
      await agent.stop();
    }
  } finally {
    await lab.destroy();
    await topics.remove().catch(() => undefined);
  }
}

export async function benchCaptureRss(stack: StackEndpoints): Promise<BenchResults> {
  const r = await measureCaptureRss(stack);
  return {
    capture_rss_100k_flows_mb: { value: r.rssMb, unit: 'MB' },
    capture_rss_100k_flows_peak_mb: { value: r.peakRssMb, unit: 'MB' },
    capture_rss_idle_mb: { value: r.rssIdleMb, unit: 'MB' },
    capture_heap_used_100k_flows_mb: { value: r.heapUsedMb, unit: 'MB' },
    capture_rss_bench_flows_active: { value: r.flowsActive, unit: 'flows' },
  };
}
