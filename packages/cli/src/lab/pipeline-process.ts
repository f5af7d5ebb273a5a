import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLOVISOR_BIN = fileURLToPath(new URL('../../../../bin/clovisor.js', import.meta.url));

export interface PipelineProcess {
  child: ChildProcess;
  /** everything it wrote to stderr so far */
  log(): string;
  /** SIGINT, then the exit code (or the signal name) */
  stop(timeoutMs?: number): Promise<number | string>;
}

/**
 * Starts `clovisor <args>` and resolves once it logged that it is running. Without
 * --metrics-port (or CLOVISOR_METRICS_PORT in `env`) it serves no /metrics: tests running at the
 * same time on one host would otherwise collide on the default ports.
 */
export async function startClovisor(args: string[], env: NodeJS.ProcessEnv = process.env, readyTimeoutMs = 60_000): Promise<PipelineProcess> {
  const child = spawn(process.execPath, [CLOVISOR_BIN, ...args], { env: { CLOVISOR_METRICS_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (process.env['CLOVISOR_TEST_VERBOSE']) process.stderr.write(chunk);
  });
  child.stdout!.resume();
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), readyTimeoutMs);
    const check = () => {
      if (/ running /.test(stderr)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stderr!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  const handle: PipelineProcess = {
    child,
    log: () => stderr,
    stop: async (timeoutMs = 30_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  if (!ready) {
    await handle.stop(5000);
    throw new Error(`clovisor ${args[0]} did not start:\n${stderr.split('\n').slice(-20).join('\n')}`);
  }
  return handle;
}
