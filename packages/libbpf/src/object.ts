import { existsSync } from 'node:fs';
import { BpfError, fromNative } from './errors.js';
import { track, untrack } from './handles.js';
import { BpfMap, MapType } from './map.js';
import { native, type NativeObjectHandle } from './native.js';
import { RingReader, type BatchHandler, type RingReaderOptions } from './ring.js';
import { attachTcFilter, TcLink, type TcFilterId, type TcHook } from './tc.js';
import { TraceLink } from './trace.js';

const BUILD_HINT = 'run the build: `bash packages/libbpf/build.sh`';

function openError(err: unknown, path: string): BpfError {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return new BpfError('ENOENT', `BPF object ${path} not found: ${BUILD_HINT}`, { cause: err });
  // As root, EACCES/EINVAL from load mean the verifier said no; its log says why.
  const log = (err as { log?: unknown }).log;
  const tail = typeof log === 'string' && log.length > 0 ? `\n${log.slice(-2000)}` : '';
  return fromNative(err, `loading BPF object ${path}`, `the kernel rejected it${tail}`);
}

/** A loaded eBPF object file. close() detaches its tc links, closes its ring readers and fds. */
export class BpfObject {
  readonly kind = 'object' as const;
  readonly path: string;
  private handle: NativeObjectHandle | null;
  private readonly maps = new Map<string, BpfMap>();
  private readonly links = new Set<TcLink | TraceLink>();
  private readonly readers = new Set<RingReader>();

  private constructor(path: string, handle: NativeObjectHandle) {
    this.path = path;
    this.handle = handle;
    track(this);
  }

  /**
   * Opens and loads (verifies) the object. Needs root. `maxEntries` resizes maps before load
   * (e.g. `{ flows: 262144 }`); an unknown map name fails with ENOENT. `skipPrograms` are left
   * unloaded (e.g. tracing programs whose tracepoint this kernel lacks); they cannot be attached.
   */
  static open(path: string, options: { maxEntries?: Record<string, number>; skipPrograms?: readonly string[] } = {}): BpfObject {
    if (!existsSync(path)) throw new BpfError('ENOENT', `BPF object ${path} not found: ${BUILD_HINT}`);
    for (const [name, n] of Object.entries(options.maxEntries ?? {})) {
      if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) throw new BpfError('EINVAL', `max_entries of map ${name} must be 1..2^31-1, got ${n}`);
    }
    const addon = native();
    let handle: NativeObjectHandle;
    try {
      handle = new addon.NativeObject(path, options.maxEntries ?? {}, [...(options.skipPrograms ?? [])]);
    } catch (err) {
      throw openError(err, path);
    }
    return new BpfObject(path, handle);
  }

  get closed(): boolean {
    return this.handle === null;
  }

  mapNames(): string[] {
    return this.live().names().maps;
  }

  programNames(): string[] {
    return this.live().names().programs;
  }

  map(name: string): BpfMap {
    const cached = this.maps.get(name);
    if (cached) {
      this.live();
      return cached;
    }
    const info = this.live().map(name);
    if (info === null) throw new BpfError('ENOENT', `no map named ${name} in ${this.path} (maps: ${this.mapNames().join(', ')})`);
    const map = new BpfMap(name, info, () => this.handle !== null);
    this.maps.set(name, map);
    return map;
  }

  /**
   * Attaches program `progName` to the tc hook of an interface (creating clsact if needed),
   * replacing any filter at the same priority/handle (default TC_PRIORITY/TC_HANDLE).
   */
  attachTc(progName: string, ifindex: number, hook: TcHook, opts?: TcFilterId): TcLink {
    const fd = this.live().program(progName);
    if (fd === null) {
      throw new BpfError('ENOENT', `no program named ${progName} in ${this.path} (programs: ${this.programNames().join(', ')})`);
    }
    const { progId, ...id } = attachTcFilter(fd, progName, ifindex, hook, opts);
    const link = new TcLink(ifindex, hook, id, progId, (l) => this.links.delete(l));
    this.links.add(link);
    return link;
  }

  /**
   * Attaches a tracing program (tp_btf/…) where its section says. The link belongs to this
   * object: TraceLink.detach() or close() destroys it.
   */
  attachTracing(progName: string): TraceLink {
    const h = this.live();
    let id: number;
    try {
      id = h.attach(progName);
    } catch (err) {
      throw fromNative(err, `attaching ${progName} of ${this.path}`);
    }
    const link = new TraceLink(progName, () => h.detach(id), (l) => this.links.delete(l));
    this.links.add(link);
    return link;
  }

  openRingReader(mapName: string, onBatch: BatchHandler, opts: RingReaderOptions = {}): RingReader {
    const info = this.live().map(mapName);
    if (info === null) throw new BpfError('ENOENT', `no map named ${mapName} in ${this.path} (maps: ${this.mapNames().join(', ')})`);
    if (info.type !== MapType.RINGBUF) throw new BpfError('EINVAL', `map ${mapName} is not a ring buffer (type ${info.type})`);
    const reader = new RingReader(mapName, info.fd, onBatch, opts, (r) => this.readers.delete(r));
    this.readers.add(reader);
    return reader;
  }

  /**
   * Idempotent. Readers close first (their thread reads the ring's memory), then links detach;
   * the first detach error is rethrown after everything else was released.
   */
  close(): void {
    const h = this.handle;
    if (h === null) return;
    let first: unknown;
    for (const r of [...this.readers]) r.close();
    for (const l of [...this.links]) {
      try {
        l.detach();
      } catch (err) {
        first ??= err;
      }
    }
    this.handle = null;
    h.close();
    untrack(this);
    if (first !== undefined) throw first;
  }

  describe(): string {
    return `BPF object ${this.path}`;
  }

  private live(): NativeObjectHandle {
    if (this.handle === null) throw new BpfError('EBADF', `BPF object ${this.path} is closed`);
    return this.handle;
  }
}
