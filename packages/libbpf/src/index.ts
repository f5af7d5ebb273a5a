// @clovisor/libbpf — a small libbpf binding: load objects, attach tc programs, map ops, ring
// buffer reading on a native thread; plus the pure ABI of bpf/capture.bpf.c.
export { BpfError, NEEDS_ROOT } from './errors.js';
export { openHandleCount, openHandles, type HandleKind } from './handles.js';
export { BpfObject } from './object.js';
export { BpfMap, MapType, numPossibleCpus, sumPerCpuU64, type UpdateMode } from './map.js';
export { TcLink, TC_PRIORITY, TC_HANDLE, detachTc, queryTc, type TcHook, type TcFilterId } from './tc.js';
export { RingReader, type RingReaderOptions, type RingReaderStats, type BatchHandler } from './ring.js';
export { splitBatch, forEachRecord, frameBatch, BATCH_ALIGN } from './batch.js';
export { clockOffsetNs, monotonicNs, ifindexOf } from './system.js';
export { ADDON_PATH } from './native.js';
export * from './capture-abi.js';
export { readCaptureCounters, type CaptureCounters } from './capture-counters.js';
export * from './flow-abi.js';
export { FlowTableSweeper, type FlowTableSweeperOptions, type FlowTableStats } from './flow-table.js';
export { TraceLink, kernelHasTracepoint } from './trace.js';
export * from './tcp-events-abi.js';
export * from './int-abi.js';
export { IntProbe, intKernelProblem, INT_DEFAULT_RATE_LIMIT, type IntProbeOptions, type IntRateLimit, type IntProbeCounters } from './int-probe.js';
export { Btf, kernelBtf, dropReasonNames, VMLINUX_BTF_PATH } from './btf.js';
