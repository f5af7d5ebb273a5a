import { ClovisorError } from '@clovisor/core';
import { HELP } from './help.js';
import { STAGE_COMMANDS } from './commands/stage-commands.js';

// Commands are imported when used: loading every stage (Kafka, OTLP, the addon) for `--help`
// or `pcap decode` would cost most of a second.

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
  if (command === 'stack') return (await import('./commands/stack.js')).stackCommand(rest);
  if (command === 'demo') return (await import('./commands/demo.js')).demoCommand(rest);
  if (command === 'pcap') return (await import('./commands/pcap.js')).pcapCommand(rest);
  if (command === 'replay') return (await import('./commands/replay.js')).replayCommand(rest);
  if (command === 'topics') return (await import('./commands/topics.js')).topicsCommand(rest);
  if (command === 'int') return (await import('./commands/int-listen.js')).intCommand(rest);
  const stages = STAGE_COMMANDS[command];
  if (!stages) {
    process.stderr.write(`clovisor: unknown command "${command}"; run clovisor --help\n`);
    return 2;
  }
  return (await import('./commands/stages.js')).stagesCommand(command, stages, rest);
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
