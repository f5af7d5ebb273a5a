// A minimal HTTP server for Prometheus: GET /metrics, nothing else. It binds 0.0.0.0 because
// Prometheus scrapes the pod or node address, not loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../errors.js';
import { listenBounded } from '../http-listen.js';
import type { Logger } from '../logger.js';

export interface MetricsServerOptions {
  /** TCP port; 0 here means "any free port" (tests) — the CLI treats 0 as "disabled" before this */
  port: number;
  host?: string;
  render: () => Promise<string>;
  contentType: string;
}

export class MetricsServer {
  private server: Server | null = null;

  constructor(private readonly o: MetricsServerOptions, private readonly log: Logger) {}

  /** Listens; a port in use is a ConfigError with one line saying what to do. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
        return;
      }
      this.o.render().then(
        (body) => res.writeHead(200, { 'content-type': this.o.contentType }).end(req.method === 'HEAD' ? undefined : body),
        (err: unknown) => {
          this.log.error('rendering metrics failed', { error: errorMessage(err) });
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    });
    const host = this.o.host ?? '0.0.0.0';
    await listenBounded(server, { port: this.o.port, host, flag: '--metrics-port', likelyHolder: 'another clovisor process?', zeroMeans: 'disable metrics', code: 'METRICS_LISTEN' });
    server.on('error', (err) => this.log.error('metrics server error', { error: errorMessage(err) }));
    this.server = server;
    this.log.info('metrics served', { url: `http://${host}:${this.port()}/metrics` });
  }

  /** The bound port (useful when started with port 0). */
  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.o.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
