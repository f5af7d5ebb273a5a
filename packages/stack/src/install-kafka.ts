import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './config.js';
import { StackError } from './errors.js';
import { requireTool, runLogged, tailFile } from './proc.js';

/** Kafka version pinned by stack/kafka/pom.xml (<kafka.version>). */
export function kafkaVersion(cfg: StackConfig): string {
  const pom = join(cfg.sourcesDir, 'kafka', 'pom.xml');
  let text: string;
  try {
    text = readFileSync(pom, 'utf8');
  } catch {
    throw new StackError('BAD_CONFIG', `cannot read ${pom}; set CLOVISOR_STACK_SOURCES to the repo's stack/ folder`);
  }
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(text);
  if (!m) throw new StackError('BAD_CONFIG', `${pom} has no <kafka.version> property; restore it from git`);
  return m[1]!;
}

export function kafkaLibsDir(cfg: StackConfig): string {
  return join(cfg.cacheDir, `kafka-${kafkaVersion(cfg)}`, 'libs');
}

function libsComplete(dir: string, version: string): boolean {
  if (!existsSync(join(dir, `kafka_2.13-${version}.jar`))) return false;
  // Without an slf4j binding the broker runs but logs nothing: treat as incomplete.
  return readdirSync(dir).some((f) => f.startsWith('slf4j-reload4j-'));
}

/** Resolves the broker jars with Maven into <cache>/kafka-<version>/libs, once. */
export async function installKafka(cfg: StackConfig, log: (line: string) => void): Promise<string> {
  const version = kafkaVersion(cfg);
  const libs = kafkaLibsDir(cfg);
  if (existsSync(libs) && libsComplete(libs, version)) return libs;
  const mvn = requireTool('mvn', 'install Maven 3.8+ (Debian: apt-get install maven) to fetch the Kafka jars');
  log(`fetching Kafka ${version} jars with Maven into ${libs} (about a minute, once)`);
  const base = join(cfg.cacheDir, `kafka-${version}`);
  mkdirSync(base, { recursive: true });
  // Copy into a private dir and rename: a crash never leaves a half-filled libs/ that looks complete.
  const tmp = join(base, `libs.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const logFile = join(base, 'install.log');
  const code = await runLogged(
    mvn,
    ['-B', '-q', '-f', join(cfg.sourcesDir, 'kafka', 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'],
    { cwd: join(cfg.sourcesDir, 'kafka'), logFile },
  );
  if (code !== 0 || !libsComplete(tmp, version)) {
    rmSync(tmp, { recursive: true, force: true });
    throw new StackError(
      'INSTALL_FAILED',
      `Maven could not fetch the Kafka jars (exit ${code}); see ${logFile}: ${tailFile(logFile, 3).replace(/\n/g, ' | ')}`,
    );
  }
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  return libs;
}
