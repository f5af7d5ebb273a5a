// Runs a throwaway schema registry (Apicurio, in memory) on a loopback port, owned by the caller
// (`clovisor stack registry`, tests): each start is an empty registry whose ids start again at 1.
// The managed one of `stack up --registry` keeps its storage in a file (registry-server.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CCOMPAT_PATH, HOST, type StackConfig } from './config.js';
import { StackError } from './errors.js';
import { installSchemaRegistry } from './install-schema-registry.js';
import { isAlive, requireTool, sleep, spawnDetached, stopProcess, tailFile } from './proc.js';
import { portOpen } from './tcp.js';

export { CCOMPAT_PATH };

export interface SchemaRegistryServer {
  /** The Confluent-compatible base URL, e.g. http://127.0.0.1:18081/apis/ccompat/v7 */
  url: string;
  pid: number;
  logFile: string;
  alive(): boolean;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

/**
 * java arguments for Apicurio on 127.0.0.1:<port>. Its storage is H2 via JDBC: `jdbcUrl` undefined
 * keeps Apicurio's default (jdbc:h2:mem:, gone with the process); a jdbc:h2:file: URL persists it.
 */
export function registryJavaArgs(jar: string, port: number, jdbcUrl?: string): string[] {
  const storage = jdbcUrl === undefined ? [] : [`-Dquarkus.datasource.jdbc.url=${jdbcUrl}`];
  return ['-Xmx256m', `-Dquarkus.http.host=${HOST}`, `-Dquarkus.http.port=${port}`, ...storage, '-jar', jar];
}

/** Builds the registry if needed, starts it on `port` and waits until its API answers. */
export async function startSchemaRegistry(cfg: StackConfig, port: number, log: (line: string) => void = () => undefined): Promise<SchemaRegistryServer> {
  const jar = await installSchemaRegistry(cfg, log);
  const java = requireTool('java', 'install Java 17+ (Debian: apt-get install openjdk-17-jre-headless) to run the schema registry');
  if (await portOpen(HOST, port)) throw new StackError('PORT_IN_USE', `port ${HOST}:${port} is already in use; pick another port for the schema registry`);
  const dir = mkdtempSync(join(tmpdir(), 'clovisor-schema-registry-'));
  const logFile = join(dir, 'registry.log');
  const pid = await spawnDetached(
    java,
    registryJavaArgs(jar, port),
    { cwd: dir, logFile },
  );
  const url = `http://${HOST}:${port}${CCOMPAT_PATH}`;
  const server: SchemaRegistryServer = { url, pid, logFile, alive: () => isAlive(pid), stop: async () => void (await stopProcess(pid)) };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!isAlive(pid)) {
      throw new StackError('START_FAILED', `the schema registry exited at start; see ${logFile}: ${tailFile(logFile, 3).replace(/\n/g, ' | ')}`);
    }
    try {
      const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new StackError('NOT_READY', `the schema registry did not answer on ${url} within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
    }
    await sleep(250);
  }
}
