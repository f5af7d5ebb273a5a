// A Jaeger to test against, in this order:
//   1. CLOVISOR_OTLP_ENDPOINT (+ CLOVISOR_OTLP_GRPC_ENDPOINT) and CLOVISOR_JAEGER_QUERY;
//   2. the stack's Jaeger on 127.0.0.1 (query 16686, OTLP 4317/4318), if it answers;
//   3. our own Jaeger v2 from the binary `clovisor stack up` installs, on free ports, with an
//      in-memory store, stopped by close().
// Returns null when none of these is possible (no binary), so the caller can skip with a reason.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const JAEGER_BINARY = process.env['CLOVISOR_JAEGER_BIN'] ?? '/root/.cache/clovisor/jaeger-v1.76.0/jaeger';

export interface JaegerUnderTest {
  otlpHttp: string; // http://host:port
  otlpGrpc: string; // host:port
  query: string; // http://host:port
  origin: 'env' | 'stack' | 'own';
  close(): Promise<void>;
}

export async function findOrStartJaeger(): Promise<JaegerUnderTest | null> {
  const env = process.env;
  if (env['CLOVISOR_OTLP_ENDPOINT'] && env['CLOVISOR_JAEGER_QUERY']) {
    const otlpHttp = env['CLOVISOR_OTLP_ENDPOINT'].replace(/\/+$/, '');
    return {
      otlpHttp,
      otlpGrpc: env['CLOVISOR_OTLP_GRPC_ENDPOINT'] ?? `${new URL(otlpHttp).hostname}:4317`,
      query: env['CLOVISOR_JAEGER_QUERY'].replace(/\/+$/, ''),
      origin: 'env',
      close: async () => {},
    };
  }
  const ownOnly = env['CLOVISOR_TEST_OWN_JAEGER'] === '1'; // exercises path 3 even when a stack runs
  if (!ownOnly && (await isJaegerQuery('http://127.0.0.1:16686'))) {
    return { otlpHttp: 'http://127.0.0.1:4318', otlpGrpc: '127.0.0.1:4317', query: 'http://127.0.0.1:16686', origin: 'stack', close: async () => {} };
  }
  if (!existsSync(JAEGER_BINARY)) return null;
  return startOwnJaeger();
}

export async function isJaegerQuery(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/api/services`, { signal: AbortSignal.timeout(1_000) });
    // An empty Jaeger answers {"data": null, ...}; one with services, a list.
    const body = (await res.json()) as { data?: unknown } | null;
    return res.ok && body !== null && (body.data === null || Array.isArray(body.data));
  } catch {
    return false;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(p: { grpc: number; http: number; query: number; queryGrpc: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      mem:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: mem
    http:
      endpoint: 127.0.0.1:${p.query}
    grpc:
      endpoint: 127.0.0.1:${p.queryGrpc}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${p.grpc}
      http:
        endpoint: 127.0.0.1:${p.http}
exporters:
  jaeger_storage_exporter:
    trace_storage: mem
`;
}

async function startOwnJaeger(): Promise<JaegerUnderTest> {
  const ports = { grpc: await freePort(), http: await freePort(), query: await freePort(), queryGrpc: await freePort() };
  const dir = await mkdtemp(join(tmpdir(), 'clovisor-jaeger-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, config(ports));
  const child: ChildProcess = spawn(JAEGER_BINARY, ['--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-16_384); // bounded: the tail explains a failure
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const query = `http://127.0.0.1:${ports.query}`;
  const deadline = Date.now() + 30_000;
  // Extensions (the query service) start before the receivers: wait for all three.
  const ready = async () => (await isJaegerQuery(query)) && (await accepts(ports.http)) && (await accepts(ports.grpc));
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`own Jaeger did not come up (exit ${child.exitCode}):\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { otlpHttp: `http://127.0.0.1:${ports.http}`, otlpGrpc: `127.0.0.1:${ports.grpc}`, query, origin: 'own', close };
}
