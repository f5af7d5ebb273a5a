import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { decodeReport, type DecodedReport as Report } from '../collector/report-decode.js';

// A real INT collector for tests: a UDP socket on 127.0.0.1 that keeps every datagram and
// decodes it by its version nibble (0 → v0.5, 2 → v2.0) with the decoders written from the spec.

/** `arrivedAtNs`: epoch ns (sub-ms) when the datagram was read, for promptness figures. */
export type DecodedReport = Report & { arrivedAtNs: bigint };

export class IntCollector {
  readonly received: DecodedReport[] = [];
  /** datagrams that did not decode, with the reason */
  readonly undecodable: Array<{ bytes: Buffer; error: string }> = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('message', (bytes) => this.onMessage(bytes));
  }

  static async start(): Promise<IntCollector> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    socket.setRecvBufferSize(8 * 1024 * 1024);
    return new IntCollector(socket);
  }

  get address(): string {
    const a = this.socket.address() as AddressInfo;
    return `${a.address}:${a.port}`;
  }

  /** Resolves once `count` datagrams arrived in all (decodable or not), rejects after timeoutMs. */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.total() >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`collector: ${this.total()} of ${count} reports after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private total(): number {
    return this.received.length + this.undecodable.length;
  }

  private onMessage(bytes: Buffer): void {
    const arrivedAtNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
    try {
      this.received.push({ ...decodeReport(bytes), arrivedAtNs });
    } catch (err) {
      this.undecodable.push({ bytes, error: (err as Error).message });
    }
    const total = this.total();
    const ready = this.waiters.filter((w) => total >= w.count);
    this.waiters = this.waiters.filter((w) => total < w.count);
    for (const w of ready) w.resolve();
  }
}
