import { fileURLToPath } from 'node:url';
import { IntProbe, ifindexOf, type IntRawEvent } from '@clovisor/libbpf';
import { Lab, type Pod } from '../lab/pods.js';
import type { BenchResults } from './results.js';

const SERVER = fileURLToPath(new URL('../lab/http-server.js', import.meta.url));
const LOAD = fileURLToPath(new URL('../lab/load-client.js', import.meta.url));
const HTTP_PORT = 8080;
const BULK_PORT = 8081;

// Bulk TCP: the sink counts bytes until the sender closes; the sender writes 64 KiB chunks for
// <seconds> and prints {"bytes": n, "seconds": s}.
const BULK_SINK = `
require('node:net').createServer((s) => s.resume()).listen(Number(process.argv[1]), () => console.log('ready'));
`;
const BULK_SEND = `
const [host, port, seconds] = process.argv.slice(1);
const s = require('node:net').connect(Number(port), host);
const chunk = Buffer.alloc(65536, 1);
let bytes = 0;
const began = performance.now();
const end = began + Number(seconds) * 1000;
function pump() {
  while (performance.now() < end) {
    bytes += chunk.length;
    if (!s.write(chunk)) return void s.once('drain', pump);
  }
  s.end(() => { process.stdout.write(JSON.stringify({ bytes, seconds: (performance.now() - began) / 1000 }) + '\\n'); s.destroy(); });
}
s.once('connect', pump);
`;

interface Rate {
  amount: number;
  seconds: number;
}

async function http(client: Pod, server: Pod, seconds: number): Promise<Rate> {
  const { stdout } = await client.exec(process.execPath, [LOAD, `http://${server.address}:${HTTP_PORT}/`, '8', String(seconds)], (seconds + 30) * 1000);
  const r = JSON.parse(stdout) as { requests: number; seconds: number };
  return { amount: r.requests, seconds: r.seconds };
}

async function bulk(client: Pod, server: Pod, seconds: number): Promise<Rate> {
  const { stdout } = await client.exec(process.execPath, ['-e', BULK_SEND, server.address, String(BULK_PORT), String(seconds)], (seconds + 30) * 1000);
  const r = JSON.parse(stdout) as { bytes: number; seconds: number };
  return { amount: r.bytes, seconds: r.seconds };
}

const rate = (rs: Rate[]) => rs.reduce((s, r) => s + r.amount, 0) / rs.reduce((s, r) => s + r.seconds, 0);

/**
 * INT (bpf/int.bpf.c) on the host-side veths of two lab pods, pod → pod traffic forwarded
 * through the root namespace: HTTP requests/s (small packets: the per-packet cost) and bulk TCP
 * throughput, untraced vs with the INT programs attached (watchlist: everything, default rate
 * limit), and hop reports/s with the rate limit off (interval 0: one report per forwarded
 * packet). Each round starts with another variant, so drift hits every variant. Part of `npm run bench` (needs root).
 */
export async function benchIntOverhead(seconds: number, rounds: number): Promise<BenchResults> {
  const lab = new Lab();
  let probe: IntProbe | null = null;
  try {
    const front = await lab.addPod('front');
    const back = await lab.addPod('back');
    for (const child of [back.spawn(process.execPath, [SERVER, String(HTTP_PORT)]), back.spawn(process.execPath, ['-e', BULK_SINK, String(BULK_PORT)])]) {
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    }
    await http(front, back, 1); // warm up the server's JIT
    const ifindexes = [front, back].map((p) => ifindexOf(p.hostInterface));
    const untraced = { http: [] as Rate[], bulk: [] as Rate[] };
    const traced = { http: [] as Rate[], bulk: [] as Rate[] };
    const everyHop = { http: [] as Rate[], bulk: [] as Rate[] };
    const reports: Rate[] = [];
    const variants = [
      { results: untraced, intervalNs: null },
      { results: traced, intervalNs: 1_000_000_000n },
      { results: everyHop, intervalNs: 0n },
    ] as const;
    for (let round = 0; round < rounds; round++) {
      // each round starts with another variant, so warm-up and drift do not favour one
      for (let v = 0; v < variants.length; v++) {
        const { results, intervalNs } = variants[(v + round) % variants.length]!;
        if (intervalNs === null) {
          results.http.push(await http(front, back, seconds));
          results.bulk.push(await bulk(front, back, seconds));
          continue;
        }
        let hops = 0;
        probe = IntProbe.open();
        probe.setWatchlist('all');
        probe.setRateLimit({ intervalNs, latencyBucketShift: 16 });
        for (const i of ifindexes) probe.attach(i);
        probe.start((evs: IntRawEvent[]) => { for (const e of evs) if (e.kind === 'HOP') hops++; });
        const began = performance.now();
        results.http.push(await http(front, back, seconds));
        results.bulk.push(await bulk(front, back, seconds));
        if (intervalNs === 0n) {
          await new Promise((r) => setTimeout(r, 300)); // the ring reader's last poll
          reports.push({ amount: hops, seconds: (performance.now() - began) / 1000 - 0.3 });
        }
        probe.close();
        probe = null;
      }
    }
    const ratio = (a: Rate[], b: Rate[]) => rate(a) / rate(b);
    return {
      int_http_untraced_rps: { value: rate(untraced.http), unit: 'requests/s' },
      int_http_traced_to_untraced_ratio: { value: ratio(traced.http, untraced.http), unit: 'ratio' },
      int_http_every_hop_to_untraced_ratio: { value: ratio(everyHop.http, untraced.http), unit: 'ratio' },
      int_bulk_tcp_untraced_mbps: { value: (rate(untraced.bulk) * 8) / 1e6, unit: 'Mbit/s' },
      int_bulk_tcp_traced_to_untraced_ratio: { value: ratio(traced.bulk, untraced.bulk), unit: 'ratio' },
      int_bulk_tcp_every_hop_to_untraced_ratio: { value: ratio(everyHop.bulk, untraced.bulk), unit: 'ratio' },
      int_hop_reports_per_s_rate_limit_off: { value: rate(reports), unit: 'reports/s' },
    };
  } finally {
    probe?.close();
    await lab.destroy();
  }
}
