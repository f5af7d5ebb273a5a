// `clovisor int listen`: a UDP INT collector that prints every telemetry report it receives, one
// per line (v0.5 and v2.0) — tcpdump for INT, to see what `--int-collector` sends.
import { ReportListener } from '@clovisor/exporter';
import { ConfigError } from '@clovisor/core';
import { parseFlags, UsageError } from '../flags.js';
import { HELP } from '../help.js';
import { reportJson, reportText } from '../int-report-format.js';
import { parseHostPort } from '../int-flags.js';

const COMMAND = 'int';
const DEFAULT_LISTEN = '0.0.0.0:32766';
/** lines waiting for a slow stdout beyond this are not printed, only counted */
const MAX_PENDING_OUTPUT = 4 * 1024 * 1024;

export async function intCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(HELP[COMMAND] + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'listen') return listen(rest);
  throw new UsageError(COMMAND, `unknown subcommand "${sub}": expected listen`);
}

async function listen(args: string[]): Promise<number> {
  const flags = parseFlags<{ listen?: string; json?: boolean; _: string[] }>(COMMAND, args, { listen: { type: 'string' }, json: { type: 'boolean' } });
  if (flags === 'help') return 0;
  if (flags._.length > 0) throw new UsageError(COMMAND, `unexpected argument "${flags._[0]}"`);
  const raw = flags.listen ?? DEFAULT_LISTEN;
  const address = parseListen(raw);
  const format = flags.json ? reportJson : reportText;
  let notPrinted = 0;
  const print = (line: string) => {
    if (process.stdout.writableLength > MAX_PENDING_OUTPUT) notPrinted += 1;
    else process.stdout.write(line + '\n');
  };
  let listener: ReportListener;
  try {
    listener = await ReportListener.start({
      host: address.host,
      port: address.port,
      onReport: (report, from) => print(format(report, from)),
      onUndecodable: (bytes, error, from) => process.stderr.write(`clovisor int listen: ${bytes.length} bytes from ${from} are not a telemetry report: ${error}\n`),
    });
  } catch (err) {
    throw new ConfigError(`cannot listen on UDP ${raw}: ${(err as Error).message} (another collector on that port? pick another with --listen)`);
  }
  process.stderr.write(`clovisor int listen: listening on UDP ${listener.address}; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await listener.close();
  const stats = listener.stats();
  process.stderr.write(`clovisor int listen: ${stats.received} reports, ${stats.undecodable} undecodable datagrams${notPrinted ? `, ${notPrinted} not printed (output too slow)` : ''}\n`);
  return 0;
}

/** <address>:<port> or [<v6>]:<port>; port 0 = a free one (printed at start) */
function parseListen(raw: string): { host: string; port: number } {
  const address = parseHostPort(raw);
  if (address === null) throw new UsageError(COMMAND, `--listen "${raw}": expected <address>:<port> (e.g. 0.0.0.0:32766, [::]:32766; port 0 = any free port)`);
  return address;
}
