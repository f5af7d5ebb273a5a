import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { stackUp } from '@clovisor/stack';
import { Lab } from '../lab/pods.js';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';
import { waitForTrace, tag, serviceOf } from '../lab/jaeger-query.js';
import { parseFlags, UsageError } from '../flags.js';
import { intKernelProblem } from '@clovisor/libbpf';
import { DemoIntCollector, DropRule, droppedRequest } from './demo-int.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../lab/http-server.js', import.meta.url));
const PORT = 8080;

interface DemoFlags {
  requests?: string;
  keep?: boolean;
  _: string[];
}

const say = (line: string) => process.stdout.write(line + '\n');

/**
 * The whole pipeline on this machine: the local stack, two demo pods (network namespaces behind
 * veths) with a real HTTP server and curl, `clovisor run --int` on their host-side veths, the
 * spans read back from Jaeger, and the INT reports received by a collector in this process.
 */
export async function demoCommand(args: string[]): Promise<number> {
  const flags = parseFlags<DemoFlags>('demo', args, { requests: { type: 'string' }, keep: { type: 'boolean' } });
  if (flags === 'help') return 0;
  const requests = Number(flags.requests ?? 5);
  if (!Number.isInteger(requests) || requests < 1 || requests > 1000) throw new UsageError('demo', '--requests: expected 1-1000');

  say('1/4 local stack (Kafka, Redis, Jaeger) …');
  const stack = await stackUp({ log: (line) => process.stderr.write(`stack: ${line}\n`) });
  say(`    brokers ${stack.brokers}, OTLP ${stack.otlpHttp}, Jaeger query ${stack.jaegerQuery}`);

  const lab = new Lab();
  let pipeline: PipelineProcess | undefined;
  // INT needs kernel BTF and Linux 6.2+: without them the demo still shows the spans
  const intProblem = intKernelProblem();
  let intCollector: DemoIntCollector | null = null;
  let dropRule: DropRule | null = null;
  let interrupted: NodeJS.Signals | null = null;
  let cleanedUp: Promise<void> | undefined;
  // what is being created right now: a signal's cleanup waits for it, so nothing is created
  // after the cleanup and left behind; after a signal nothing new is started
  const creating = new Set<Promise<unknown>>();
  const create = <T>(step: () => Promise<T>): Promise<T> => {
    if (interrupted) return Promise.reject(new Error(`demo: interrupted by ${interrupted}`));
    const pending = step();
    creating.add(pending);
    void pending.catch(() => undefined).finally(() => creating.delete(pending));
    return pending;
  };
  // once, whichever comes first: the end, an error, or Ctrl-C / SIGTERM
  const cleanup = () => (cleanedUp ??= (async () => {
    await Promise.allSettled([...creating]);
    await dropRule?.remove().catch((err: unknown) => process.stderr.write(`demo: removing the rule "${dropRule!.command}" failed: ${String(err)}\n`));
    if (pipeline) {
      if (interrupted) await letItStopItself(pipeline);
      const code = await pipeline.stop();
      if (code !== 0 && !interrupted) process.stderr.write(`demo: clovisor run exited with ${code}:\n${pipeline.log().slice(-2000)}\n`);
    }
    await intCollector?.close();
    await lab.destroy();
    say('Demo pods removed; the stack keeps running (`npx clovisor stack down` stops it).');
  })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = signal;
    process.stderr.write(`demo: ${signal}: removing what the demo created …\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    say('2/4 demo pods …');
    const front = await create(() => lab.addPod('frontend'));
    const back = await create(() => lab.addPod('backend'));
    const server = back.spawn(process.execPath, [SERVER_SCRIPT, String(PORT)]);
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    say(`    frontend ${front.address} (host veth ${front.hostInterface}) → backend ${back.address}:${PORT} (host veth ${back.hostInterface})`);

    if (intProblem === null) intCollector = await create(() => DemoIntCollector.start(front, back));
    say('3/4 clovisor run (capture → decode → correlate → export) …');
    const args = ['run', '--interface', `${front.hostInterface}=frontend`, '--interface', `${back.hostInterface}=backend`, '--port', `${PORT}=http`];
    // INT: hop and drop reports to the collector in this process; the switch id is this host's
    // address on the frontend veth; no topology API (nobody asks it here)
    if (intCollector) args.push('--int', '--int-collector', intCollector.address, '--node-address', front.gateway, '--topology-port', '0');
    say(`    clovisor ${args.join(' ')}`);
    if (intProblem) say(`    (INT telemetry off: ${intProblem})`);
    pipeline = await create(() => startClovisor(args, { ...process.env, CLOVISOR_BROKERS: stack.brokers, CLOVISOR_OTLP_ENDPOINT: stack.otlpHttp }));

    say(`4/4 ${requests} requests from frontend to backend, each with a W3C traceparent …`);
    const traces: string[] = [];
    for (let i = 0; i < requests; i++) {
      const traceId = randomBytes(16).toString('hex');
      traces.push(traceId);
      const path = ['/slow?ms=150', '/chunked', '/missing', '/api/items'][i % 4]!;
      await front.exec('curl', ['-sS', '-o', '/dev/null', '--max-time', '10', '-H', `traceparent: 00-${traceId}-${randomBytes(8).toString('hex')}-01`, `http://${back.address}:${PORT}${path}`]);
    }
    if (intCollector) {
      say('    and one request the host drops on purpose, to see an INT drop report:');
      dropRule = await create(() => DropRule.add(front, back));
      try {
        await droppedRequest(front, back, PORT);
      } finally {
        await dropRule.remove();
      }
      say(`    ${dropRule.command} (removed again)`);
    }
    say('');
    say('trace id                          service   kind    span                 status  duration   hop latency (INT)');
    let found = 0;
    for (const traceId of traces) {
      const trace = await waitForTrace(stack.jaegerQuery, traceId, 2, 30_000);
      for (const span of trace?.spans ?? []) {
        found += 1;
        const hop = tag(span, 'clovisor.int.hop_latency_ns');
        const duration = `${(span.duration / 1000).toFixed(1)} ms`;
        say(`${traceId}  ${serviceOf(trace!, span).padEnd(9)} ${String(tag(span, 'span.kind')).padEnd(7)} ${span.operationName.padEnd(20)} ${String(tag(span, 'http.response.status_code')).padEnd(7)} ${duration.padEnd(10)} ${hop === undefined ? '-' : `${(Number(hop) / 1000).toFixed(1)} µs`}`);
      }
    }
    say('');
    say(`${found} spans for ${requests} requests (expected ${2 * requests}: a CLIENT and a SERVER span each).`);
    let intComplete = true;
    if (intCollector) {
      intComplete = await intCollector.waitForReports(15_000);
      say('');
      for (const line of intCollector.summary()) say(line);
      if (!intComplete) say('  missing: a frontend → backend flow report with its hop latency, or the drop report of the provoked drop');
    }
    say('');
    say(`Look at them in Jaeger: ${stack.jaegerQuery}/api/traces/${traces[0]}`);
    say(`  (the Jaeger built by \`clovisor stack up\` has the query API but no UI assets; docker-compose.yml runs Jaeger with its UI)`);
    say(`Topics: clovisor.segments.v1 → clovisor.transactions.v1 → clovisor.spans.v1 on ${stack.brokers}.`);
    if (flags.keep) {
      say('Pipeline and pods keep running; press Ctrl-C to stop.');
      process.off('SIGINT', onSignal);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      // the pipeline got the terminal's Ctrl-C too
      interrupted = 'SIGINT';
    }
    return found >= 2 * requests && intComplete ? 0 : 1;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * A Ctrl-C in the terminal reaches `clovisor run` too, and it is then already stopping (flush,
 * detach); a second SIGINT from stop() would make it exit without detaching. So give it the
 * time to finish on its own when it says it is stopping.
 */
async function letItStopItself(pipeline: PipelineProcess): Promise<void> {
  const { child } = pipeline;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + 15_000;
  await new Promise((r) => setTimeout(r, 300));
  if (!/: stopping \(flush, commit, detach\)/.test(pipeline.log())) return;
  while (!exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
