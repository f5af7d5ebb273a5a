import { stackDown, stackStatus, stackUp, formatStatus, type ComponentName } from '@clovisor/stack';
import { parseFlags, UsageError } from '../flags.js';
import { registryPort, runSchemaRegistry } from './stack-registry.js';

interface StackFlags {
  json?: boolean;
  only?: string[];
  port?: string;
  _: string[];
}

const COMPONENT_NAMES: ComponentName[] = ['kafka', 'redis', 'jaeger'];

export async function stackCommand(args: string[]): Promise<number> {
  const flags = parseFlags<StackFlags>('stack', args, { json: { type: 'boolean' }, only: { type: 'string', multiple: true }, port: { type: 'string' } });
  if (flags === 'help') return 0;
  const [action, ...extra] = flags._;
  if (extra.length > 0) throw new UsageError('stack', `unexpected argument "${extra[0]}"`);
  const only = flags.only?.map((name) => {
    if (!COMPONENT_NAMES.includes(name as ComponentName)) throw new UsageError('stack', `--only "${name}": expected kafka, redis or jaeger`);
    return name as ComponentName;
  });
  const log = (line: string) => process.stderr.write(`stack: ${line}\n`);
  switch (action) {
    case 'up': {
      const endpoints = await stackUp({ log, ...(only ? { only } : {}) });
      process.stdout.write(flags.json ? JSON.stringify(endpoints) + '\n' : `${formatStatus(await stackStatus())}\n`);
      return 0;
    }
    case 'status': {
      const status = await stackStatus();
      process.stdout.write(flags.json ? JSON.stringify(status) + '\n' : `${formatStatus(status)}\n`);
      return Object.values(status.components).every((c) => c.up) ? 0 : 3;
    }
    case 'down':
      await stackDown({ log, ...(only ? { only } : {}) });
      return 0;
    case 'registry':
      return runSchemaRegistry(registryPort(flags.port), log);
    default:
      throw new UsageError('stack', action === undefined ? 'say up, status, down or registry' : `unknown action "${action}"`);
  }
}
