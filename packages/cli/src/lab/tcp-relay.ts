import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

// Lets processes inside lab pods reach a server of the stack that listens on the host's
// loopback only (Jaeger's OTLP port): listens on an address the pods can route to (a pod's
// gateway, on the host side) and pipes each connection to the loopback target. Its port is not
// one Clovisor is told to capture, so this traffic crosses the veths untraced.

export interface TcpRelay {
  /** `host:port` the pods connect to */
  address: string;
  close(): Promise<void>;
}

export async function startTcpRelay(listenHost: string, target: { host: string; port: number }): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((inbound) => {
    const outbound = connect(target.port, target.host);
    track(inbound);
    track(outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `${listenHost}:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
