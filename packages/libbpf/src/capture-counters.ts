import { CaptureCounter, CaptureMap, u32Key } from './capture-abi.js';
import { sumPerCpuU64, type BpfMap } from './map.js';
import type { BpfObject } from './object.js';

export interface CaptureCounters {
  emitted: bigint;
  lost: bigint;
  truncated: bigint;
  payloadBytes: bigint;
  matched: bigint;
  flowsCreated: bigint;
  flowsClosedFin: bigint;
  flowsClosedRst: bigint;
  flowsInsertFailed: bigint;
  nodeMatched: bigint;
  nodeEmitted: bigint;
}

/** One counter of a per-CPU array of __u64 counters, summed over all CPUs (0 when absent). */
export function readPerCpuCounter(map: BpfMap, index: number): bigint {
  const v = map.lookup(u32Key(index));
  return v === null ? 0n : sumPerCpuU64(v, map.perCpuStride);
}

/** Sums capture.bpf.c's per-CPU counters over all CPUs. */
export function readCaptureCounters(obj: BpfObject): CaptureCounters {
  const map = obj.map(CaptureMap.COUNTERS);
  return {
    emitted: readPerCpuCounter(map, CaptureCounter.EMITTED),
    lost: readPerCpuCounter(map, CaptureCounter.LOST),
    truncated: readPerCpuCounter(map, CaptureCounter.TRUNCATED),
    payloadBytes: readPerCpuCounter(map, CaptureCounter.PAYLOAD_BYTES),
    matched: readPerCpuCounter(map, CaptureCounter.MATCHED),
    flowsCreated: readPerCpuCounter(map, CaptureCounter.FLOWS_CREATED),
    flowsClosedFin: readPerCpuCounter(map, CaptureCounter.FLOWS_CLOSED_FIN),
    flowsClosedRst: readPerCpuCounter(map, CaptureCounter.FLOWS_CLOSED_RST),
    flowsInsertFailed: readPerCpuCounter(map, CaptureCounter.FLOWS_INSERT_FAILED),
    nodeMatched: readPerCpuCounter(map, CaptureCounter.NODE_MATCHED),
    nodeEmitted: readPerCpuCounter(map, CaptureCounter.NODE_EMITTED),
  };
}
