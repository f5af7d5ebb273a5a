// int-host-reporter's topology REST API: GET /api/v1/topology → this node's links (docs/int.md,
// "Capture: watchlist, records, topology"). Served by the capture agent because the links are
// the interfaces it traces on its node. Binds 0.0.0.0: the INT collector asks each node.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage, listenBounded, type Logger } from '@clovisor/core';
import type { TopologyLink } from '../core/topology.js';

export const TOPOLOGY_PATH = '/api/v1/topology';

export interface TopologyServerOptions {
  /** TCP port; 0 here means "any free port" (tests) — the CLI treats 0 as "off" before this */
  port: number;
  host?: string;
  links: () => Promise<TopologyLink[]>;
}

export class TopologyServer {
  private server: Server | null = null;
  private requests = 0;

  constructor(private readonly o: TopologyServerOptions, private readonly log: Logger) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      this.requests += 1;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(body, null, 4) + '\n';
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(req.method === 'HEAD' ? undefined : text);
      };
      const path = (req.url ?? '/').split('?')[0];
      if (path !== TOPOLOGY_PATH) {
        send(404, { error: `not found: the topology is at GET ${TOPOLOGY_PATH}` });
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(405, { error: `method ${req.method} not allowed: use GET` }, { allow: 'GET, HEAD' });
        return;
      }
      this.o.links().then(
        (links) => send(200, { links }),
        (err: unknown) => {
          this.log.error('building the topology failed', { error: errorMessage(err) });
          send(500, { error: 'topology unavailable; see the agent log' });
        },
      );
    });
    const host = this.o.host ?? '0.0.0.0';
    await listenBounded(server, { port: this.o.port, host, flag: '--topology-port', likelyHolder: 'another agent, or int-host-reporter?', zeroMeans: 'turn the topology API off', code: 'TOPOLOGY_LISTEN' });
    server.on('error', (err) => this.log.error('topology server error', { error: errorMessage(err) }));
    this.server = server;
    this.log.info('INT topology served', { url: `http://${host}:${this.port()}${TOPOLOGY_PATH}` });
  }

  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.o.port;
  }

  stats(): { requests: number } {
    return { requests: this.requests };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
