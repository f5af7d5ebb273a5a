import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, type StackConfig } from './config.js';
import { installRedis } from './install-redis.js';
import { spawnDetached } from './proc.js';
import type { OwnedProcess } from './state.js';

/** Launches a throw-away Redis (no persistence: the stack is for development and tests). */
export async function startRedis(cfg: StackConfig, log: (l: string) => void): Promise<OwnedProcess> {
  const bin = await installRedis(cfg, log);
  const dir = join(cfg.stateDir, 'redis');
  const logFile = join(cfg.stateDir, 'logs', 'redis.log');
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(cfg.stateDir, 'logs'), { recursive: true });
  const port = cfg.ports.redis;
  log(`starting Redis on ${HOST}:${port} (log ${logFile})`);
  const pid = await spawnDetached(
    bin,
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
    { cwd: dir, logFile },
  );
  // Only the program name survives in argv: redis-server rewrites its title to "<path> 127.0.0.1:<port>".
  return { pid, marker: 'redis-server', cwd: dir, ports: { redis: port }, log: logFile, startedAt: new Date().toISOString() };
}
