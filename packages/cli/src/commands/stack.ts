import { ALL_COMPONENTS, StackError, stackDown, stackStatus, stackUp, formatStatus, type ComponentName } from '@clovisor/stack';
import { parseFlags, UsageError } from '../flags.js';
import { registryPort, runSchemaRegistry } from './stack-registry.js';

interface StackFlags {
  json?: boolean;
  only?: string[];
  port?: string;
  registry?: boolean;
  _: string[];
}

export async function stackCommand(args: string[]): Promise<number> {
  const flags = parseFlags<StackFlags>('stack', args, {
    json: { type: 'boolean' },
    only: { type: 'string', multiple: true },
    port: { type: 'string' },
    registry: { type: 'boolean' },
  });
  if (flags === 'help') return 0;
  const [action, ...extra] = flags._;
  if (extra.length > 0) throw new UsageError('stack', `unexpected argument "${extra[0]}"`);
  const only = flags.only?.map((name) => {
    if (!ALL_COMPONENTS.includes(name as ComponentName)) throw new UsageError('stack', `--only "${name}": expected kafka, redis, jaeger or registry`);
    return name as ComponentName;
  });
  const log = (line: string) => process.stderr.write(`stack: ${line}\n`);
  try {
    return await runAction(action, flags, only, log);
  } catch (err) {
    // StackError messages say what to do: print them as such, not as an unexpected error
    if (!(err instanceof StackError)) throw err;
    process.stderr.write(`clovisor: stack: ${err.message}\n`);
    return err.code === 'BAD_CONFIG' ? 2 : 1;
  }
}

async function runAction(action: string | undefined, flags: StackFlags, only: ComponentName[] | undefined, log: (line: string) => void): Promise<number> {
  switch (action) {
    case 'up': {
      // --registry adds the schema registry; without it CLOVISOR_STACK_REGISTRY decides
      const endpoints = await stackUp({ log, ...(only ? { only } : {}), ...(flags.registry ? { registry: true } : {}) });
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
      if (flags.registry || only) throw new UsageError('stack', '--registry and --only go with up/down, not with registry');
      return runSchemaRegistry(registryPort(flags.port), log);
    default:
      throw new UsageError('stack', action === undefined ? 'say up, status, down or registry' : `unknown action "${action}"`);
  }
}
