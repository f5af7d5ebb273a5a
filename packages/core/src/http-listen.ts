// Starting one of our small HTTP endpoints (metrics, topology): bounded (a few clients at once, a
// slow client cannot hold a socket for long), and a port that cannot be had is an error saying
// which flag to change.
import type { Server } from 'node:http';
import { ConfigError, UnavailableError, errorMessage } from './errors.js';

export interface ListenSettings {
  port: number;
  host: string;
  /** the flag that sets the port, e.g. --metrics-port */
  flag: string;
  /** who else may hold the port, e.g. "another clovisor process?" */
  likelyHolder: string;
  /** what port 0 does, e.g. "disable metrics" */
  zeroMeans: string;
  /** error code of other listen failures, e.g. METRICS_LISTEN */
  code: string;
}

export async function listenBounded(server: Server, s: ListenSettings): Promise<void> {
  server.maxConnections = 32;
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.port, s.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError(`${s.flag} ${s.port}: ${s.host}:${s.port} is already in use (${s.likelyHolder}); choose another port, or 0 to ${s.zeroMeans}`, { cause: err });
    if (code === 'EACCES') throw new ConfigError(`${s.flag} ${s.port}: not permitted to listen on it`, { cause: err });
    throw new UnavailableError(s.code, `${s.flag} ${s.port}: listening on ${s.host}:${s.port} failed: ${errorMessage(err)}`, { cause: err, retryable: false });
  });
}
