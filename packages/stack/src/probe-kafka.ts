import { connectTcp, exchange, parseHostPort, type ProbeResult } from './tcp.js';

/*
 * A minimal Kafka client: just enough protocol to tell a ready broker from anything else.
 * ApiVersions v0 (every broker since 0.10 answers it, even before auth) then Metadata v1 with an
 * empty topic list (cheap) to see that the broker has registered itself.
 */

const API_METADATA = 3;
const API_VERSIONS = 18;
const CLIENT_ID = Buffer.from('clovisor-stack-probe');
// A reply larger than this is not a Kafka reply to our tiny requests (e.g. "HTTP" read as a length).
const MAX_FRAME = 1 << 20;

/** Request header v1: api_key, api_version, correlation_id, client_id (int16-length string). */
function request(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(CLIENT_ID.length, 8);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + CLIENT_ID.length + body.length, 0);
  return Buffer.concat([size, header, CLIENT_ID, body]);
}

function frameComplete(buf: Buffer): boolean {
  if (buf.length < 4) return false;
  const size = buf.readInt32BE(0);
  if (size < 4 || size > MAX_FRAME) throw new Error(`reply is not a Kafka frame (length field ${size})`);
  return buf.length >= 4 + size;
}

/** Bounds-checked big-endian reader: garbage must produce an error, not a RangeError stack. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    private off = 0,
  ) {}
  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new Error('truncated Kafka reply');
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.off);
    this.off += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  str(): string | null {
    const len = this.i16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return s;
  }
}

function checkCorrelation(r: Reader, expected: number): void {
  const got = r.i32();
  if (got !== expected) throw new Error(`reply correlation id ${got}, expected ${expected}: not Kafka`);
}

export interface KafkaBroker {
  nodeId: number;
  host: string;
  port: number;
}

async function probeOne(host: string, port: number, timeoutMs: number): Promise<ProbeResult & { brokers?: KafkaBroker[] }> {
  const sock = await connectTcp(host, port, timeoutMs);
  if (!sock) return { ok: false, reachable: false, detail: `nothing listens on ${host}:${port}` };
  try {
    const corr1 = 0x434c4f01; // arbitrary, recognisable in a packet capture
    const av = await exchange(sock, request(API_VERSIONS, 0, corr1, Buffer.alloc(0)), frameComplete, timeoutMs);
    const r = new Reader(av, 4);
    checkCorrelation(r, corr1);
    const err = r.i16();
    if (err !== 0) return { ok: false, reachable: true, starting: true, detail: `Kafka ApiVersions error code ${err}` };
    const n = r.i32();
    if (n < 1 || n > 1000) throw new Error(`implausible ApiVersions count ${n}: not Kafka`);
    const keys = new Set<number>();
    for (let i = 0; i < n; i++) {
      keys.add(r.i16());
      r.i16();
      r.i16();
    }
    if (!keys.has(API_METADATA) || !keys.has(API_VERSIONS)) throw new Error('ApiVersions lacks Metadata: not a Kafka broker');

    const corr2 = corr1 + 1;
    const emptyTopicList = Buffer.alloc(4); // int32 0 = no topics (v1+; -1 would mean all)
    const md = await exchange(sock, request(API_METADATA, 1, corr2, emptyTopicList), frameComplete, timeoutMs);
    const m = new Reader(md, 4);
    checkCorrelation(m, corr2);
    const nb = m.i32();
    if (nb < 0 || nb > 10000) throw new Error(`implausible broker count ${nb}: not Kafka`);
    const brokers: KafkaBroker[] = [];
    for (let i = 0; i < nb; i++) {
      const nodeId = m.i32();
      const h = m.str() ?? '';
      const p = m.i32();
      m.str(); // rack
      brokers.push({ nodeId, host: h, port: p });
    }
    if (brokers.length === 0) {
      // Kafka, but still starting (not yet registered with the controller).
      return { ok: false, reachable: true, starting: true, detail: 'Kafka answers but its metadata lists no broker yet', brokers };
    }
    return { ok: true, reachable: true, detail: `Kafka at ${host}:${port}, brokers ${brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(',')}`, brokers };
  } catch (e) {
    return { ok: false, reachable: true, detail: `${host}:${port} is not Kafka: ${(e as Error).message}` };
  } finally {
    sock.destroy();
  }
}

/**
 * Probes a bootstrap list "host:port[,host:port...]": ok as soon as one entry is a ready broker.
 * `reachable` is true when any entry accepted the TCP connection.
 */
export async function probeKafka(brokers: string, timeoutMs = 3000): Promise<ProbeResult & { brokers?: KafkaBroker[] }> {
  const entries = brokers.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) return { ok: false, reachable: false, detail: 'empty broker list' };
  let last: ProbeResult & { brokers?: KafkaBroker[] } = { ok: false, reachable: false, detail: '' };
  let reachable = false;
  for (const entry of entries) {
    const hp = parseHostPort(entry);
    if (!hp) return { ok: false, reachable: false, detail: `"${entry}" is not host:port` };
    last = await probeOne(hp.host, hp.port, timeoutMs);
    if (last.ok) return last;
    reachable ||= last.reachable;
  }
  return { ...last, reachable };
}
