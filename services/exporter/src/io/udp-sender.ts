import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { UnavailableError, errorMessage } from '@clovisor/core';

// Datagrams to one collector over a connected UDP socket (the host name is resolved once, and
// the kernel reports an unreachable collector as an error on a later send). At most maxInFlight
// datagrams wait for the kernel; callers wait for room() instead of queueing without bound.
// A failed send is counted, not retried: UDP gives no delivery guarantee anyway.

export interface UdpTarget {
  host: string;
  port: number;
}

export interface UdpSenderStats {
  sent: number;
  sendErrors: number;
  /** send() called while maxInFlight datagrams were in flight: not sent */
  droppedFull: number;
  lastError: string | null;
}

export class UdpSender {
  private inFlight = 0;
  private waitingForRoom: Array<() => void> = [];
  private waitingForFlush: Array<() => void> = [];
  private closed = false;
  private readonly counters: UdpSenderStats = { sent: 0, sendErrors: 0, droppedFull: 0, lastError: null };

  private constructor(private readonly socket: Socket, readonly address: string, private readonly maxInFlight: number) {
    // errors also arrive here (e.g. ECONNREFUSED from an ICMP port unreachable): counted, never thrown
    socket.on('error', (err) => this.failed(err));
  }

  static async open(target: UdpTarget, maxInFlight = 256): Promise<UdpSender> {
    let resolved: { address: string; family: number };
    try {
      resolved = await lookup(target.host);
    } catch (err) {
      throw new UnavailableError('INT_COLLECTOR_UNRESOLVED', `cannot resolve the INT collector ${target.host}: ${errorMessage(err)} (check --int-collector)`, { cause: err });
    }
    const socket = createSocket(resolved.family === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(target.port, resolved.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpSender(socket, `${resolved.address}:${target.port}`, maxInFlight);
  }

  /** datagrams handed to send() that the kernel has not taken yet */
  get pending(): number {
    return this.inFlight;
  }

  hasRoom(): boolean {
    return this.inFlight < this.maxInFlight;
  }

  /** Resolves when a send() would find room. */
  room(): Promise<void> {
    if (this.hasRoom() || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waitingForRoom.push(resolve));
  }

  /** Resolves when every datagram sent so far was handed to the kernel (or failed). */
  flush(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waitingForFlush.push(resolve));
  }

  send(bytes: Buffer): void {
    if (this.closed || !this.hasRoom()) {
      this.counters.droppedFull += 1;
      return;
    }
    this.inFlight += 1;
    this.socket.send(bytes, (err) => {
      this.inFlight -= 1;
      if (err) this.failed(err);
      else this.counters.sent += 1;
      this.waitingForRoom.shift()?.();
      if (this.inFlight === 0) for (const resolve of this.waitingForFlush.splice(0)) resolve();
    });
  }

  stats(): UdpSenderStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    for (const resolve of this.waitingForRoom.splice(0)) resolve();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private failed(err: Error): void {
    this.counters.sendErrors += 1;
    this.counters.lastError = err.message;
  }
}
