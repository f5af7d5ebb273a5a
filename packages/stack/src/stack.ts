import { existsSync } from 'node:fs';
import { COMPONENT_TABLE, PORT_ENV_NAME, type Component } from './components.js';
import { ALL_COMPONENTS, COMPONENTS, HOST, resolveConfig, type ComponentName, type StackConfig, type StackEndpoints, type StackOptions } from './config.js';
import { dockerEngineReachable } from './docker-seam.js';
import { StackError } from './errors.js';
import { withLock } from './lock.js';
import { confirmOurProcess, isOurProcess, sleep, stopProcess, tailFile } from './proc.js';
import { portOpen } from './tcp.js';
import { readState, writeState, type OwnedProcess, type StackState } from './state.js';

export interface StackUpOptions extends StackOptions {
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Bring up only these components (default: Kafka, Redis and Jaeger). */
  only?: ComponentName[];
  /** Also the schema registry (default: CLOVISOR_STACK_REGISTRY=1 in the environment). */
  registry?: boolean;
}

export interface ComponentStatus {
  name: ComponentName;
  endpoint: string;
  up: boolean;
  /** True when WE started it (recorded in state.json and still that process). */
  ours: boolean;
  pid: number | null;
  /** 'env': endpoint given in the environment; 'local': our loopback port. */
  source: 'env' | 'local';
  detail: string;
  log: string | null;
}

export interface StackStatus {
  stateDir: string;
  endpoints: StackEndpoints;
  /** The schema registry is listed only when enabled: given in the env, started by us, or answering. */
  components: Record<Exclude<ComponentName, 'registry'>, ComponentStatus> & { registry?: ComponentStatus };
}

const ENV_FOR: Record<ComponentName, string> = {
  kafka: 'CLOVISOR_BROKERS',
  redis: 'CLOVISOR_REDIS_URL',
  jaeger: 'CLOVISOR_OTLP_ENDPOINT/CLOVISOR_JAEGER_QUERY',
  registry: 'CLOVISOR_SCHEMA_REGISTRY',
};

const stderrLog = (line: string): void => {
  process.stderr.write(`stack: ${line}\n`);
};

function selected(only: ComponentName[] | undefined, all: readonly ComponentName[] = COMPONENTS): ComponentName[] {
  if (only === undefined) return [...all];
  for (const n of only) {
    if (!ALL_COMPONENTS.includes(n)) throw new StackError('BAD_CONFIG', `unknown stack component "${n}"; use one of ${ALL_COMPONENTS.join(', ')}`);
  }
  return ALL_COMPONENTS.filter((n) => only.includes(n));
}

/** CLOVISOR_STACK_REGISTRY: 1/true/yes or 0/false/no (unset: no). */
export function registryWanted(env: NodeJS.ProcessEnv): boolean {
  const raw = (env.CLOVISOR_STACK_REGISTRY ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new StackError('BAD_CONFIG', `CLOVISOR_STACK_REGISTRY=${env.CLOVISOR_STACK_REGISTRY} is not a yes/no; set it to 1 (start the schema registry too) or 0`);
}

/**
 * Starts whatever of Kafka, Redis and Jaeger is not already answering, and returns the endpoints
 * to use. Idempotent and safe to call concurrently (one lock per state dir).
 */
export async function stackUp(opts: StackUpOptions = {}): Promise<StackEndpoints> {
  const cfg = resolveConfig(opts);
  const log = opts.log ?? stderrLog;
  const names = selected(opts.only);
  if ((opts.registry ?? registryWanted(opts.env ?? process.env)) && !names.includes('registry')) names.push('registry');
  return withLock(cfg.stateDir, async () => {
    const state = readState(cfg.stateDir);
    // Components come up in parallel (Kafka dominates); each one records itself in `state` as it starts.
    const results = await Promise.allSettled(names.map((n) => ensure(COMPONENT_TABLE[n], cfg, state, log)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return { ...cfg.endpoints, ...(names.includes('registry') ? { schemaRegistry: cfg.schemaRegistry } : {}) };
  });
}

async function ensure(c: Component, cfg: StackConfig, state: StackState, log: (l: string) => void): Promise<void> {
  if (cfg.external[c.name]) {
    // Endpoints from the environment win and are never started; they must work, though.
    const p = await c.probe(cfg);
    if (!p.ok) {
      throw new StackError('ENDPOINT_UNREACHABLE', `${ENV_FOR[c.name]} points at ${c.endpoint(cfg)} but ${p.detail}; start it there, or unset the variable to let clovisor start a local ${c.title}`);
    }
    return;
  }

  const owned = state.components[c.name];
  if (owned && isOurProcess(owned)) {
    const moved = c.ports(cfg).find((p) => owned.ports[p.key] !== undefined && owned.ports[p.key] !== p.port);
    if (moved) {
      throw new StackError('BAD_CONFIG', `our ${c.title} (pid ${owned.pid}) runs on port ${owned.ports[moved.key]}, not ${moved.port}; run \`clovisor stack down\` first to move it`);
    }
    await waitReady(c, cfg, owned, log);
    return;
  }
  if (owned) {
    // Recorded but gone (crash, reboot, killed by hand): forget it and start afresh.
    delete state.components[c.name];
    writeState(cfg.stateDir, state);
  }

  let probe = await c.probe(cfg);
  if (probe.starting) {
    // The right server, still booting (someone else's): give it the same patience as our own.
    const deadline = Date.now() + c.readyTimeoutMs;
    while (!probe.ok && probe.starting && Date.now() < deadline) {
      await sleep(500);
      probe = await c.probe(cfg);
    }
  }
  // "Something else is there" must be stable before we refuse: a server that is just exiting
  // (ours after a crash, someone's being stopped) still holds its port for a moment.
  for (let i = 0; i < 3 && !probe.ok && probe.reachable; i++) {
    await sleep(300);
    probe = await c.probe(cfg);
  }
  if (probe.ok) {
    log(`${c.title} already answers at ${c.endpoint(cfg)}; using it (not started by us, so \`stack down\` leaves it alone)`);
    return;
  }
  await refuseBusyPorts(c, cfg, probe.reachable);

  if (await dockerEngineReachable()) {
    // See docker-seam.ts: containers would be started here; for now local processes are used everywhere.
    log(`a Docker engine answers, but ${c.title} is started as a local process (testcontainers is not wired in yet)`);
  }

  const started = await c.start(cfg, log);
  state.components[c.name] = started;
  writeState(cfg.stateDir, state);
  try {
    await waitReady(c, cfg, started, log);
  } catch (e) {
    // Do not leave a half-started server behind that the next stackUp would have to untangle.
    await stopProcess(started.pid, 5_000);
    delete state.components[c.name];
    writeState(cfg.stateDir, state);
    throw e;
  }
}

/** Something answers on one of our ports but the probe says it is not our kind of server: refuse. */
async function refuseBusyPorts(c: Component, cfg: StackConfig, primaryReachable: boolean): Promise<void> {
  const ports = c.ports(cfg);
  for (const [i, p] of ports.entries()) {
    // Kafka's probe covers only its first port; Jaeger's covers query + OTLP/HTTP. Check all by TCP.
    const busy = (i === 0 && primaryReachable) || (await portOpen(HOST, p.port, 500));
    if (!busy) continue;
    const extra = i === 0 ? '' : ` (or move ours with ${PORT_ENV_NAME[p.key]})`;
    throw new StackError('PORT_IN_USE', `port ${p.port} is in use by something that is not ${c.title}; stop it or ${c.useAnother}${extra}`);
  }
}

function logTails(owned: OwnedProcess, lines: number): string {
  const files = [owned.log, owned.log.replace(/\.log$/, '.out')].filter((f, i, a) => a.indexOf(f) === i && existsSync(f));
  return files.map((f) => `--- ${f} (last lines)\n${tailFile(f, lines)}`).join('\n');
}

/** The last line of the logs that looks like the reason (bind errors, exceptions), for one-line errors. */
function lastErrorLine(owned: OwnedProcess): string {
  const files = [owned.log, owned.log.replace(/\.log$/, '.out')].filter((f, i, a) => a.indexOf(f) === i && existsSync(f));
  const lines = files.flatMap((f) => tailFile(f, 200).split('\n'));
  const hit = lines.reverse().find((l) => /address already in use|error|exception|fatal/i.test(l));
  return hit === undefined ? '' : `: ${hit.trim().slice(0, 240)}`;
}

async function waitReady(c: Component, cfg: StackConfig, owned: OwnedProcess, log: (l: string) => void): Promise<void> {
  const deadline = Date.now() + c.readyTimeoutMs;
  let last = '';
  for (;;) {
    const p = await c.probe(cfg);
    if (p.ok) return;
    last = p.detail;
    if (!(await confirmOurProcess(owned))) {
      log(logTails(owned, 25));
      throw new StackError('START_FAILED', `${c.title} (pid ${owned.pid}) exited during startup${lastErrorLine(owned)}; see ${owned.log}`);
    }
    if (Date.now() > deadline) {
      log(logTails(owned, 25));
      throw new StackError('NOT_READY', `${c.title} (pid ${owned.pid}) not ready after ${c.readyTimeoutMs / 1000} s (${last}); see ${owned.log}`);
    }
    await sleep(300);
  }
}

/** Probes every component; never starts or stops anything. */
export async function stackStatus(opts: StackOptions = {}): Promise<StackStatus> {
  const cfg = resolveConfig(opts);
  const state = readState(cfg.stateDir);
  const entries = await Promise.all(
    ALL_COMPONENTS.map(async (name): Promise<[ComponentName, ComponentStatus] | undefined> => {
      const c = COMPONENT_TABLE[name];
      const p = await c.probe(cfg);
      // the opt-in registry: a row only when it is configured, was started by us, or runs
      if (name === 'registry' && !cfg.external.registry && state.components.registry === undefined && !p.ok) return undefined;
      const owned = cfg.external[name] ? undefined : state.components[name];
      const ours = owned !== undefined && isOurProcess(owned);
      return [
        name,
        {
          name,
          endpoint: c.endpoint(cfg),
          up: p.ok,
          ours,
          pid: ours ? owned.pid : null,
          source: cfg.external[name] ? 'env' : 'local',
          detail: p.detail,
          log: ours ? owned.log : null,
        },
      ];
    }),
  );
  const components = Object.fromEntries(entries.filter((e) => e !== undefined)) as StackStatus['components'];
  const endpoints = { ...cfg.endpoints, ...(components.registry ? { schemaRegistry: cfg.schemaRegistry } : {}) };
  return { stateDir: cfg.stateDir, endpoints, components };
}

/**
 * Stops only what state.json says WE started (SIGTERM, up to 20 s, then SIGKILL) and forgets it;
 * without `only`, that includes the schema registry. External and reused servers are left alone.
 */
export async function stackDown(opts: StackOptions & { log?: (line: string) => void; only?: ComponentName[] } = {}): Promise<void> {
  const cfg = resolveConfig(opts);
  const log = opts.log ?? stderrLog;
  const names = selected(opts.only, ALL_COMPONENTS);
  await withLock(cfg.stateDir, async () => {
    const state = readState(cfg.stateDir);
    await Promise.all(
      names.map(async (name) => {
        const owned = state.components[name];
        if (!owned) return;
        if (isOurProcess(owned)) {
          const how = await stopProcess(owned.pid, 20_000);
          log(`stopped ${COMPONENT_TABLE[name].title} (pid ${owned.pid}, ${how})`);
        }
        delete state.components[name];
        writeState(cfg.stateDir, state);
      }),
    );
  });
}
