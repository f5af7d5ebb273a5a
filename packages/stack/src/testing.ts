/* Helpers shared by tests (`@clovisor/stack/testing`; kept out of index.ts: not public API). */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type StackOptions, type StackPorts } from './config.js';
import { stackDown } from './stack.js';

/**
 * A port nothing uses right now, below the kernel's ephemeral range (32768+ by default): a port
 * picked with listen(0) can be grabbed a moment later as the source port of some outgoing
 * connection (our own probes make many), and then the server we start there fails to bind.
 */
export async function freePort(taken?: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    // `taken`: ports already handed out but not bound yet, never to be given twice
    if (taken?.has(port)) continue;
    const srv = createServer();
    const ok = await new Promise<boolean>((r) => {
      srv.once('error', () => r(false));
      srv.listen(port, '127.0.0.1', () => r(true));
    });
    if (ok) {
      await new Promise<void>((r) => srv.close(() => r()));
      taken?.add(port);
      return port;
    }
  }
}

export async function freePorts(): Promise<StackPorts> {
  return {
    kafka: await freePort(),
    kafkaController: await freePort(),
    redis: await freePort(),
    otlpGrpc: await freePort(),
    otlpHttp: await freePort(),
    jaegerQuery: await freePort(),
    jaegerQueryGrpc: await freePort(),
    registry: await freePort(),
  };
}

/**
 * Options for a stack that shares nothing with the default one: own state dir, own ports, and an
 * empty env so CLOVISOR_* variables of the caller's shell do not leak in. The cache is shared
 * (the jars and the Jaeger binary are the same).
 */
export async function isolated(
  t: { after(fn: () => Promise<void>): void },
): Promise<Required<Pick<StackOptions, 'stateDir' | 'cacheDir' | 'ports' | 'env'>> & { ports: StackPorts }> {
  const o = {
    stateDir: mkdtempSync(join(tmpdir(), 'clovisor-stack-test-')),
    cacheDir: resolveConfig().cacheDir,
    ports: await freePorts(),
    env: {},
  };
  // Even when the test fails half-way: stop whatever it started there, then drop the dir.
  t.after(async () => {
    await stackDown({ ...o, log: quiet });
    rmSync(o.stateDir, { recursive: true, force: true });
  });
  return o;
}

/** A plain TCP server that is none of our servers: it answers every connection with `greeting`. */
export async function impostor(port: number, greeting = 'SSH-2.0-impostor\r\n'): Promise<Server> {
  const srv = createServer((s) => {
    s.on('error', () => undefined);
    s.resume(); // drain what the client sends, or the socket never sees the client's FIN and close() hangs
    s.end(greeting);
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  return srv;
}

export function closeServer(srv: Server): Promise<void> {
  return new Promise((r) => srv.close(() => r()));
}

export const quiet = (): void => undefined;
