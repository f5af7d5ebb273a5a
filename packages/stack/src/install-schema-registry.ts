// The optional schema registry of the local stack: Apicurio Registry (Confluent-compatible API),
// built once from Maven Central by stack/schema-registry/pom.xml into the cache.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './config.js';
import { StackError } from './errors.js';
import { requireTool, runLogged, tailFile } from './proc.js';

const RUNNER_JAR = 'schema-registry-1-runner.jar';

/** Apicurio version pinned by stack/schema-registry/pom.xml (<apicurio.version>). */
export function schemaRegistryVersion(cfg: StackConfig): string {
  const pom = join(cfg.sourcesDir, 'schema-registry', 'pom.xml');
  let text: string;
  try {
    text = readFileSync(pom, 'utf8');
  } catch {
    throw new StackError('BAD_CONFIG', `cannot read ${pom}; set CLOVISOR_STACK_SOURCES to the repo's stack/ folder`);
  }
  const m = /<apicurio\.version>\s*([^<\s]+)\s*<\/apicurio\.version>/.exec(text);
  if (!m) throw new StackError('BAD_CONFIG', `${pom} has no <apicurio.version> property; restore it from git`);
  return m[1]!;
}

/** Builds the registry app with Maven into <cache>/apicurio-registry-<version>, once; returns its runner jar. */
export async function installSchemaRegistry(cfg: StackConfig, log: (line: string) => void): Promise<string> {
  const version = schemaRegistryVersion(cfg);
  const app = join(cfg.cacheDir, `apicurio-registry-${version}`);
  if (existsSync(join(app, RUNNER_JAR))) return join(app, RUNNER_JAR);
  const mvn = requireTool('mvn', 'install Maven 3.8+ (Debian: apt-get install maven) to build the schema registry');
  log(`building Apicurio Registry ${version} with Maven into ${app} (a few minutes, once)`);
  mkdirSync(cfg.cacheDir, { recursive: true });
  // Build into a private dir and rename: a crash never leaves a half-built app that looks complete.
  const tmp = `${app}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const logFile = `${app}.install.log`;
  const dir = join(cfg.sourcesDir, 'schema-registry');
  const code = await runLogged(mvn, ['-B', '-q', '-f', join(dir, 'pom.xml'), 'package', '-DskipTests', `-Dregistry.build.dir=${tmp}`], { cwd: dir, logFile });
  if (code !== 0 || !existsSync(join(tmp, RUNNER_JAR))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new StackError(
      'INSTALL_FAILED',
      `Maven could not build the schema registry (exit ${code}); see ${logFile}: ${tailFile(logFile, 3).replace(/\n/g, ' | ')}`,
    );
  }
  if (existsSync(join(app, RUNNER_JAR))) rmSync(tmp, { recursive: true, force: true }); // another install won the race
  else {
    rmSync(app, { recursive: true, force: true });
    renameSync(tmp, app);
  }
  return join(app, RUNNER_JAR);
}
