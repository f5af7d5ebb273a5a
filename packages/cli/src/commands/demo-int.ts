import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ReportListener, intDropReasonMeaning, summarizeReports, type DecodedReport, type DropReport } from '@clovisor/exporter';
import type { Pod } from '../lab/pods.js';

// The demo's INT part: a UDP collector in the demo process that decodes the reports
// `clovisor run --int --int-collector` sends, a drop provoked on purpose, and the summary.

const run = promisify(execFile);

/** the demo sends a handful of requests; anything beyond this is counted, not kept */
const MAX_REPORTS = 10_000;
/** INT drop reason of the provoked drop: routing miss (kernel IP_INNOROUTES) */
const PROVOKED_REASON = 29;

export class DemoIntCollector {
  private readonly reports: DecodedReport[] = [];
  private overflow = 0;

  private constructor(private readonly listener: ReportListener, private readonly front: Pod, private readonly back: Pod) {}

  /** A collector for the reports of traffic between these two pods. */
  static async start(front: Pod, back: Pod): Promise<DemoIntCollector> {
    let collector: DemoIntCollector | undefined;
    const listener = await ReportListener.start({
      onReport: (report) => {
        if (collector!.reports.length < MAX_REPORTS) collector!.reports.push(report);
        else collector!.overflow += 1;
      },
    });
    collector = new DemoIntCollector(listener, front, back);
    return collector;
  }

  /** host:port for --int-collector */
  get address(): string {
    return this.listener.address;
  }

  /** Waits until a flow report between the two pods and the provoked drop arrived, or the deadline. */
  async waitForReports(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.complete()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.complete();
  }

  /** The summary lines, with the pods' host interfaces named. */
  summary(): string[] {
    const names = new Map([this.front, this.back].map((p) => [ifindex(p.hostInterface) & 0xffff, `${p.hostInterface} (${p.name})`]));
    const port = (id: number) => (id === 0 ? '-' : names.get(id) ?? `ifindex ${id}`);
    const { hops, drops } = summarizeReports(this.reports);
    const stats = this.listener.stats();
    const versions = [...new Set(this.reports.map((r) => (r.version === 0 ? 'v0.5' : 'v2.0')))].join(', ') || 'none';
    const lines = [`INT telemetry: ${stats.received} reports (${versions}) at the demo's collector on ${this.address}` +
      (stats.undecodable ? `, ${stats.undecodable} undecodable` : '') + (this.overflow ? `, ${this.overflow} not kept` : '')];
    lines.push(`  flow reports  ${'ingress → egress (host-side veths)'.padEnd(WIDTH)} hop latency min / median / max`);
    for (const hop of hops) {
      const latency = hop.latency ? `${us(hop.latency.min)} / ${us(hop.latency.median)} / ${us(hop.latency.max)} µs` : '-';
      lines.push(`  ${String(hop.reports).padEnd(13)} ${`${port(hop.ingressPort)} → ${port(hop.egressPort)}`.padEnd(WIDTH)} ${latency}`);
    }
    if (hops.length === 0) lines.push('  (no flow reports)');
    // drops grouped by where and why, with one packet as an example
    const dropGroups = new Map<string, DropReport[]>();
    for (const drop of drops) {
      const key = `${drop.ingressPort}>${drop.egressPort}>${drop.reason}`;
      const group = dropGroups.get(key) ?? [];
      group.push(drop);
      dropGroups.set(key, group);
    }
    if (dropGroups.size > 0) lines.push(`  drop reports  ${'where'.padEnd(WIDTH)} ${'INT drop reason'.padEnd(19)} e.g.`);
    for (const group of dropGroups.values()) {
      const example = group.find((d) => isProvoked(d, this.front, this.back)) ?? group[0]!;
      const provoked = isProvoked(example, this.front, this.back) ? '  ← the demo\'s ip rule' : '';
      lines.push(`  ${String(group.length).padEnd(13)} ${where(example, port).padEnd(WIDTH)} ${`${example.reason} ${intDropReasonMeaning(example.reason) ?? '?'}`.padEnd(19)} ${flowOf(example)}${provoked}`);
    }
    if (drops.length === 0) lines.push('  (no drop reports)');
    return lines;
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private complete(): boolean {
    const { hops, drops } = summarizeReports(this.reports);
    const frontPort = ifindex(this.front.hostInterface) & 0xffff;
    const backPort = ifindex(this.back.hostInterface) & 0xffff;
    const hop = hops.some((h) => h.ingressPort === frontPort && h.egressPort === backPort && h.latency !== null);
    const drop = drops.some((d) => isProvoked(d, this.front, this.back));
    return hop && drop;
  }
}

function where(drop: DropReport, port: (id: number) => string): string {
  return drop.egressPort === 0 ? `after ingress on ${port(drop.ingressPort)}` : `${port(drop.ingressPort)} → ${port(drop.egressPort)}, after egress`;
}

function flowOf(drop: DropReport): string {
  const f = drop.flow;
  if (!f) return 'a non-IP packet';
  const end = (address: string, p: number | null) => (p === null ? address : `${address}:${p}`);
  return `${f.protocol} ${end(f.source, f.sourcePort)} → ${end(f.destination, f.destinationPort)}`;
}

const isProvoked = (d: DropReport, front: Pod, back: Pod) =>
  d.reason === PROVOKED_REASON && d.flow?.source === front.address && d.flow.destination === back.address;

/** the where column: two interfaces with their pod names and a few words */
const WIDTH = 58;
const us = (ns: number) => (ns / 1000).toFixed(1);

function ifindex(name: string): number {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
  } catch {
    return -1;
  }
}

/**
 * A policy rule that makes the host drop frontend → backend packets entering on the frontend's
 * veth: the kernel drops them as IP_INNOROUTES, INT reason 29 (routing miss). Scoped to the two
 * pods and that veth, at a random preference; removed by its exact match, once.
 */
export class DropRule {
  private removed: Promise<void> | undefined;

  private constructor(readonly spec: string[]) {}

  static async add(front: Pod, back: Pod): Promise<DropRule> {
    const spec = ['pref', String(randomInt(20_000, 30_000)), 'from', front.address, 'to', back.address, 'iif', front.hostInterface, 'unreachable'];
    await run('ip', ['rule', 'add', ...spec]);
    return new DropRule(spec);
  }

  get command(): string {
    return `ip rule add ${this.spec.join(' ')}`;
  }

  remove(): Promise<void> {
    this.removed ??= run('ip', ['rule', 'del', ...this.spec]).then(() => undefined);
    return this.removed;
  }
}

/** The request the rule drops (curl fails at once: no route to host). */
export async function droppedRequest(front: Pod, back: Pod, port: number): Promise<void> {
  await front.exec('curl', ['-sS', '-o', '/dev/null', '--max-time', '3', `http://${back.address}:${port}/dropped`]).catch(() => undefined);
}
