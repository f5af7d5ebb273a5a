import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './config.js';
import { StackError } from './errors.js';
import { requireTool, runLogged, tailFile } from './proc.js';

/** Jaeger version pinned by stack/jaeger/go.mod (the require line of github.com/jaegertracing/jaeger). */
export function jaegerVersion(cfg: StackConfig): string {
  const gomod = join(cfg.sourcesDir, 'jaeger', 'go.mod');
  let text: string;
  try {
    text = readFileSync(gomod, 'utf8');
  } catch {
    throw new StackError('BAD_CONFIG', `cannot read ${gomod}; set CLOVISOR_STACK_SOURCES to the repo's stack/ folder`);
  }
  const m = /^\s*(?:require\s+)?github\.com\/jaegertracing\/jaeger\s+(v\S+)/m.exec(text);
  if (!m) throw new StackError('BAD_CONFIG', `${gomod} does not require github.com/jaegertracing/jaeger; restore it from git`);
  return m[1]!;
}

export function jaegerBinary(cfg: StackConfig): string {
  return join(cfg.cacheDir, `jaeger-${jaegerVersion(cfg)}`, 'jaeger');
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds Jaeger v2 from the pinned module once (several minutes on 2 cores). `go install pkg@v`
 * cannot be used: Jaeger's go.mod has replace directives, so stack/jaeger is a module that pins it
 * as a tool and copies the replace; its go.sum is seeded from Jaeger's own go.sum.
 */
export async function installJaeger(cfg: StackConfig, log: (line: string) => void): Promise<string> {
  const bin = jaegerBinary(cfg);
  if (executable(bin)) return bin;
  const go = requireTool('go', 'install Go 1.24+ (https://go.dev/dl/) to build Jaeger, or set CLOVISOR_OTLP_ENDPOINT and CLOVISOR_JAEGER_QUERY to an existing Jaeger');
  const version = jaegerVersion(cfg);
  log(`building Jaeger ${version} with Go into ${bin} (several minutes, once)`);
  const dir = join(cfg.cacheDir, `jaeger-${version}`);
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  const logFile = join(dir, 'build.log');
  const code = await runLogged(go, ['build', '-o', tmp, 'github.com/jaegertracing/jaeger/cmd/jaeger'], {
    cwd: join(cfg.sourcesDir, 'jaeger'),
    logFile,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  if (code !== 0 || !executable(tmp)) {
    rmSync(tmp, { force: true });
    throw new StackError('INSTALL_FAILED', `go build of Jaeger ${version} failed (exit ${code}); see ${logFile}: ${tailFile(logFile, 3).replace(/\n/g, ' | ')}`);
  }
  renameSync(tmp, bin);
  return bin;
}
