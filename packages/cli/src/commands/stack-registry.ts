// `clovisor stack registry`: the optional schema registry (Apicurio, Confluent API, in memory) in
// the foreground until Ctrl-C. Not part of `stack up`: registry mode is opt-in (--schema-registry).
import { resolveConfig, startSchemaRegistry, StackError } from '@clovisor/stack';
import { UsageError } from '../flags.js';

export const DEFAULT_REGISTRY_PORT = 8081; // Confluent Schema Registry's

export function registryPort(flag: string | undefined): number {
  if (flag === undefined) return DEFAULT_REGISTRY_PORT;
  const port = Number(flag);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('stack', `--port "${flag}": expected a TCP port (1-65535)`);
  return port;
}

export async function runSchemaRegistry(port: number, log: (line: string) => void): Promise<number> {
  const server = await startSchemaRegistry(resolveConfig(), port, log);
  process.stdout.write(`${server.url}\n`);
  log(`schema registry (Apicurio, in memory) at ${server.url}; give it to --schema-registry. Ctrl-C stops it (log: ${server.logFile})`);
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
