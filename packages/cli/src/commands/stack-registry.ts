// `clovisor stack registry`: a throwaway schema registry (Apicurio, Confluent API, in memory) in
// the foreground until Ctrl-C. The managed, file-backed one is `stack up --registry`.
import { CCOMPAT_PATH, probeSchemaRegistry, resolveConfig, startSchemaRegistry, StackError } from '@clovisor/stack';
import { UsageError } from '../flags.js';

export const DEFAULT_REGISTRY_PORT = 8081; // Confluent Schema Registry's

export function registryPort(flag: string | undefined): number {
  if (flag === undefined) return DEFAULT_REGISTRY_PORT;
  const port = Number(flag);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('stack', `--port "${flag}": expected a TCP port (1-65535)`);
  return port;
}

export async function runSchemaRegistry(port: number, log: (line: string) => void): Promise<number> {
  const there = `http://127.0.0.1:${port}${CCOMPAT_PATH}`;
  if ((await probeSchemaRegistry(there)).ok) {
    throw new StackError('PORT_IN_USE', `a schema registry already answers at ${there} (\`clovisor stack up --registry\` runs one there); give that URL to --schema-registry, or pick another --port`);
  }
  const server = await startSchemaRegistry(resolveConfig(), port, log);
  process.stdout.write(`${server.url}\n`);
  log(`schema registry (Apicurio, in memory: ids start again at 1 on every start) at ${server.url}; give it to --schema-registry. Ctrl-C stops it (log: ${server.logFile}). For one whose ids survive restarts: clovisor stack up --registry`);
  // the registry runs detached: this poll keeps us alive, and notices when it dies on its own
  let poll: NodeJS.Timeout | undefined;
  const ended = await new Promise<string>((resolve) => {
    poll = setInterval(() => {
      if (!server.alive()) resolve('exited');
    }, 1000);
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  clearInterval(poll);
  if (ended === 'exited') throw new StackError('START_FAILED', `the schema registry exited on its own; see ${server.logFile}`);
  log(`${ended}: stopping the schema registry`);
  await server.stop();
  return 0;
}
