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

function read(map: BpfMap, index: number): bigint {
  const v = map.lookup(u32Key(index));
  return v === null ? 0n : sumPerCpuU64(v, map.perCpuStride);
}

/** Sums capture.bpf.c's per-CPU counters over all CPUs. */
export function readCaptureCounters(obj: BpfObject): CaptureCounters {
  const map = obj.map(CaptureMap.COUNTERS);
  return {
    emitted: read(map, CaptureCounter.EMITTED),
    lost: read(map, CaptureCounter.LOST),
    truncated: read(map, CaptureCounter.TRUNCATED),
    payloadBytes: read(map, CaptureCounter.PAYLOAD_BYTES),
    matched: read(map, CaptureCounter.MATCHED),
    flowsCreated: read(map, CaptureCounter.FLOWS_CREATED),
    flowsClosedFin: read(map, CaptureCounter.FLOWS_CLOSED_FIN),
    flowsClosedRst: read(map, CaptureCounter.FLOWS_CLOSED_RST),
    flowsInsertFailed: read(map, CaptureCounter.FLOWS_INSERT_FAILED),
    nodeMatched: read(map, CaptureCounter.NODE_MATCHED),
    nodeEmitted: read(map, CaptureCounter.NODE_EMITTED),
  };
}
