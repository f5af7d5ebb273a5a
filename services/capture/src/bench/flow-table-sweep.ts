// Cost of aging the kernel flow table: the capture object loaded (not attached) with its flow
// table filled to `entries` live flows, then a whole sweep pass timed (BPF_MAP_LOOKUP_BATCH
// calls plus the idle check). Nothing is idle, so nothing is deleted: this is what the agent
// pays per pass at that many active flows (it paces passes to a quarter of the idle timeout,
// 30 s by default). Needs root.
import {
  BpfObject, CAPTURE_OBJECT_PATH, CaptureMap, FLOW_STATE_LEN, FlowStateOffset, FlowTableSweeper, encodeFlowKey, monotonicNs,
} from '@clovisor/libbpf';

export interface FlowTableSweepResult {
  entries: number;
  passMs: number;
  usPerEntry: number;
}

export function benchFlowTableSweep(entries = 100_000, tableSize = 131_072): FlowTableSweepResult {
  const object = BpfObject.open(CAPTURE_OBJECT_PATH, { maxEntries: { [CaptureMap.FLOWS]: tableSize } });
  try {
    const flows = object.map(CaptureMap.FLOWS);
    const value = Buffer.alloc(FLOW_STATE_LEN);
    const now = monotonicNs();
    value.writeBigUInt64LE(now, FlowStateOffset.FIRST_NS);
    value.writeBigUInt64LE(now, FlowStateOffset.LAST_NS);
    for (let i = 0; i < entries; i++) {
      const key = encodeFlowKey({ ipVersion: 4, l4Proto: 6, saddr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, sport: 40_000 + (i % 20_000), daddr: '10.96.0.10', dport: 8080 });
      flows.update(key, value, 'noexist');
    }
    const sweeper = new FlowTableSweeper(object, { idleTimeoutNs: 3_600_000_000_000n });
    sweeper.sweepAll(now); // warm up
    const rounds = 3;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) sweeper.sweepAll(now);
    const passMs = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
    if (sweeper.stats().live !== entries) throw new Error(`flow table sweep bench: ${sweeper.stats().live} live entries, expected ${entries}`);
    return { entries, passMs, usPerEntry: (passMs * 1000) / entries };
  } finally {
    object.close();
  }
}
