// Typed view of the C++ addon (native/*.cc), loaded lazily so that importing this package for
// its pure helpers (event layout, batch framing) works where the addon is not built.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BpfError } from './errors.js';

export interface NativeMapInfo {
  fd: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface NativeBatch {
  keys: Buffer;
  values: Buffer;
  count: number;
  /** resume token; null when the whole map was visited */
  token: Buffer | null;
}

export interface NativeObjectHandle {
  close(): void;
  map(name: string): NativeMapInfo | null;
  program(name: string): number | null;
  names(): { maps: string[]; programs: string[] };
  /** attaches a tracing program by its section; returns a link id owned by the object */
  attach(progName: string): number;
  /** destroys a link; false when it was already gone */
  detach(linkId: number): boolean;
}

export interface NativeRingStats {
  records: number;
  bytes: number;
  batches: number;
  droppedBatches: number;
  droppedRecords: number;
  discardedRecords: number;
  pollErrors: number;
}

export interface NativeRingReaderHandle {
  close(): void;
  stats(): NativeRingStats;
}

export interface NativeAddon {
  NativeObject: new (path: string, maxEntries?: Record<string, number>, skipPrograms?: string[]) => NativeObjectHandle;
  RingReader: new (
    mapFd: number,
    onBatch: (batch: Buffer, count: number) => void,
    maxBatchBytes: number,
    maxQueuedBatches: number,
  ) => NativeRingReaderHandle;
  tcAttach(progFd: number, ifindex: number, hook: 0 | 1, priority: number, handle: number): number;
  tcDetach(ifindex: number, hook: 0 | 1, priority: number, handle: number): boolean;
  tcQuery(ifindex: number, hook: 0 | 1, priority: number, handle: number): number;
  mapLookup(fd: number, key: Buffer, keySize: number, outSize: number): Buffer | null;
  mapUpdate(fd: number, key: Buffer, keySize: number, value: Buffer, valueSize: number, flags: number): void;
  mapDelete(fd: number, key: Buffer, keySize: number): boolean;
  mapNextKey(fd: number, key: Buffer | null, keySize: number): Buffer | null;
  mapLookupBatch(fd: number, token: Buffer | null, keySize: number, valueSize: number, count: number): NativeBatch;
  numPossibleCpus(): number;
  clockOffsetNs(): bigint;
  monotonicNs(): bigint;
  ifNameToIndex(name: string): number;
  vmlinuxTracepointBtfId(tracepoint: string): number;
  libbpfLog(): string;
}

export const ADDON_PATH = fileURLToPath(new URL('../build/Release/clovisor_libbpf.node', import.meta.url));

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  try {
    addon = require(ADDON_PATH) as NativeAddon;
  } catch (err) {
    const missing = (err as { code?: unknown }).code === 'MODULE_NOT_FOUND';
    throw new BpfError(
      missing ? 'ENOENT' : 'ELIBACC',
      missing
        ? `native addon not built (${ADDON_PATH}): run \`bash packages/libbpf/build.sh\``
        : `cannot load native addon ${ADDON_PATH}: ${(err as Error).message} (is libbpf1 installed? rebuild with \`bash packages/libbpf/build.sh\`)`,
      { cause: err },
    );
  }
  return addon;
}
