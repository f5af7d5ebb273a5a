import { StackError } from './errors.js';
import { runLogged, tailFile, which } from './proc.js';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { StackConfig } from './config.js';

const HINT = 'install it (Debian: apt-get install redis-server) or set CLOVISOR_REDIS_URL=redis://<host:port>';

/** Debian's redis-server, installed with apt-get when missing (apt-get update only if the first try fails). */
export async function installRedis(cfg: StackConfig, log: (line: string) => void): Promise<string> {
  const found = which('redis-server');
  if (found) return found;
  const apt = which('apt-get');
  if (!apt) throw new StackError('TOOL_MISSING', `redis-server not found on PATH; ${HINT}`);
  if (process.getuid?.() !== 0) throw new StackError('TOOL_MISSING', `redis-server not found and installing it needs root; ${HINT}`);
  log('installing redis-server with apt-get');
  mkdirSync(cfg.cacheDir, { recursive: true });
  const logFile = join(cfg.cacheDir, 'redis-install.log');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<number> =>
    runLogged(apt, ['install', '-y', '--no-install-recommends', 'redis-server'], { cwd: cfg.cacheDir, logFile, env });
  let code = await install();
  if (code !== 0) {
    // Usually stale package lists on a fresh machine.
    await runLogged(apt, ['update'], { cwd: cfg.cacheDir, logFile, env });
    code = await install();
  }
  const bin = which('redis-server');
  if (code !== 0 || !bin) {
    throw new StackError('INSTALL_FAILED', `apt-get install redis-server failed (exit ${code}); see ${logFile}: ${tailFile(logFile, 2).replace(/\n/g, ' | ')}`);
  }
  return bin;
}
