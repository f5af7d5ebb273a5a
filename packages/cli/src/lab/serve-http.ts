import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Pod } from './pods.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./http-server.js', import.meta.url));

/** Starts the lab's HTTP server (http-server.ts) inside `pod` and resolves once it listens. */
export async function serveHttp(pod: Pod, port: number, ...extraArgs: string[]): Promise<ChildProcess> {
  const server = pod.spawn(process.execPath, [SERVER_SCRIPT, String(port), ...extraArgs]);
  await new Promise<void>((resolve, reject) => {
    server.stdout!.once('data', () => resolve());
    server.once('exit', (code) => reject(new Error(`lab HTTP server in pod ${pod.name} exited ${code}`)));
  });
  return server;
}
