// The schema registry as a managed part of the stack (`stack up --registry`): detached, pid and
// log in the state dir like the others, and its storage in a file (H2) there, so schema ids
// survive restarts and `stack down` (records in Kafka carry those ids).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './config.js';
import { installSchemaRegistry } from './install-schema-registry.js';
import { requireTool, spawnDetached } from './proc.js';
import { registryJavaArgs } from './schema-registry-server.js';
import type { OwnedProcess } from './state.js';

/** The H2 database (file <dir>/registry.mv.db) that holds subjects, schemas and id sequences. */
export function registryDataDir(cfg: StackConfig): string {
  return join(cfg.stateDir, 'registry', 'data');
}

export async function startRegistry(cfg: StackConfig, log: (l: string) => void): Promise<OwnedProcess> {
  const jar = await installSchemaRegistry(cfg, log);
  const java = requireTool('java', 'install Java 17+ (Debian: apt-get install openjdk-17-jre-headless) to run the schema registry');
  const dir = join(cfg.stateDir, 'registry');
  const data = registryDataDir(cfg);
  const logFile = join(cfg.stateDir, 'logs', 'registry.log');
  mkdirSync(data, { recursive: true });
  mkdirSync(join(cfg.stateDir, 'logs'), { recursive: true });
  // WRITE_DELAY=0: H2 writes each commit to the file at once (default: within 500 ms), so a killed
  // registry never forgets an id it already handed out (and hands it out again for another schema)
  const jdbcUrl = `jdbc:h2:file:${join(data, 'registry')};WRITE_DELAY=0`;
  log(`starting the schema registry (Apicurio, storage ${data}, 127.0.0.1:${cfg.ports.registry}; log ${logFile})`);
  const pid = await spawnDetached(java, registryJavaArgs(jar, cfg.ports.registry, jdbcUrl), { cwd: dir, logFile });
  return { pid, marker: jdbcUrl, cwd: dir, ports: { registry: cfg.ports.registry }, log: logFile, startedAt: new Date().toISOString() };
}
