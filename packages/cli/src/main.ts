import { ClovisorError } from '@clovisor/core';
import { HELP } from './help.js';
import { stackCommand } from './commands/stack.js';
import { stagesCommand, type StageName } from './commands/stages.js';
import { demoCommand } from './commands/demo.js';

const STAGE_COMMANDS: Record<string, StageName[]> = {
  run: ['capture', 'decode', 'correlate', 'export'],
  capture: ['capture'],
  decode: ['decode'],
  correlate: ['correlate'],
  export: ['export'],
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write((topic && HELP[topic] ? HELP[topic] : HELP['main']) + '\n');
    return 0;
  }
  if (command === '--version') {
    process.stdout.write('clovisor 0.1.0\n');
    return 0;
  }
  if (command === 'stack') return stackCommand(rest);
  if (command === 'demo') return demoCommand(rest);
  const stages = STAGE_COMMANDS[command];
  if (!stages) {
    process.stderr.write(`clovisor: unknown command "${command}"; run clovisor --help\n`);
    return 2;
  }
  return stagesCommand(command, stages, rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ClovisorError) {
      process.stderr.write(`clovisor: ${err.message}\n`);
      process.exitCode = err.code === 'USAGE' || err.code === 'CONFIG' ? 2 : 1;
    } else {
      process.stderr.write(`clovisor: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.env['CLOVISOR_DEBUG']) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
      else process.stderr.write('clovisor: set CLOVISOR_DEBUG=1 for the stack trace, and please report it\n');
      process.exitCode = 1;
    }
  },
);
