import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import { decodeReport, type DecodedReport } from './report-decode.js';

// A UDP INT collector: receives telemetry reports (v0.5 or v2.0, told apart by the version
// nibble), decodes each with the spec decoder and hands it on. Keeps nothing itself.

export interface ReportListenerOptions {
  /** address to bind; default 127.0.0.1 */
  host?: string;
  /** default 0: a free port */
  port?: number;
  /** `from`: the sender's address:port */
  onReport(report: DecodedReport, from: string): void;
  /** a datagram that is not a report, with the reason */
  onUndecodable?(bytes: Buffer, error: string, from: string): void;
}

export interface ReportListenerStats {
  received: number;
  undecodable: number;
}

export class ReportListener {
  private readonly counts: ReportListenerStats = { received: 0, undecodable: 0 };

  private constructor(private readonly socket: Socket, private readonly options: ReportListenerOptions) {
    socket.on('message', (bytes, rinfo) => this.onMessage(bytes, rinfo.family === 'IPv6' ? `[${rinfo.address}]:${rinfo.port}` : `${rinfo.address}:${rinfo.port}`));
  }

  static async start(options: ReportListenerOptions): Promise<ReportListener> {
    const host = options.host ?? '127.0.0.1';
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // bursts of reports (a drop storm) wait here rather than being lost in the kernel
    socket.setRecvBufferSize(4 * 1024 * 1024);
    return new ReportListener(socket, options);
  }

  /** host:port ([v6]:port) as --int-collector takes it */
  get address(): string {
    const a = this.socket.address() as AddressInfo;
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  stats(): ReportListenerStats {
    return { ...this.counts };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onMessage(bytes: Buffer, from: string): void {
    let report: DecodedReport;
    try {
      report = decodeReport(bytes);
    } catch (err) {
      this.counts.undecodable += 1;
      this.options.onUndecodable?.(bytes, (err as Error).message, from);
      return;
    }
    this.counts.received += 1;
    this.options.onReport(report, from);
  }
}
