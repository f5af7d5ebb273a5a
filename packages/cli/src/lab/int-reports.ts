// Test support for the INT collector tests: finding, at a test collector, the reports whose inner
// frame is one of the UDP datagrams a test sent (lab/int-udp.ts), by source port and payload.
import assert from 'node:assert/strict';
import type { DecodedReport, IntCollector } from '@clovisor/exporter/int-collector';
import type { SentDatagram } from './int-udp.js';
import type { PipelineProcess } from './pipeline-process.js';
import { readUdpFrame, type UdpFrame } from './udp-frame.js';

/** The inner frame read as UDP; null when it is not UDP (or not readable as IP). */
export function innerUdp(inner: Buffer): UdpFrame | null {
  try {
    const f = readUdpFrame(inner);
    return f.protocol === 17 ? f : null;
  } catch {
    return null;
  }
}

/** The reports of `version` whose inner frame is one of `sent`. */
export function reportsOf<R extends DecodedReport>(collector: IntCollector, version: R['version'], sent: SentDatagram[]): R[] {
  return collector.received.filter((r): r is R => {
    if (r.version !== version) return false;
    const f = innerUdp(r.report.inner);
    return f !== null && sent.some((s) => s.sport === f.sport && s.payload.equals(f.payload));
  });
}

/** Polls until `count` such reports arrived; fails with the pipeline's log after timeoutMs. */
export async function waitForReports<R extends DecodedReport>(collector: IntCollector, pipeline: PipelineProcess, version: R['version'], sent: SentDatagram[], count: number, timeoutMs = 20_000): Promise<R[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = reportsOf<R>(collector, version, sent);
    if (found.length >= count) return found;
    if (Date.now() > deadline) assert.fail(`${found.length} of ${count} reports for source ports ${sent.map((s) => s.sport).join(',')} after ${timeoutMs} ms (${collector.received.length} decoded, undecodable: ${JSON.stringify(collector.undecodable.map((u) => u.error))}); log:\n${pipeline.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
