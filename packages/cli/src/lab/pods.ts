import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ClovisorError, errorMessage } from '@clovisor/core';

// "Pods" for the demo, the tests and the benchmark: each is a network namespace joined to the
// root namespace by a veth pair, as a bridge-less (routed) CNI does it. The host side of the
// veth is what Clovisor attaches to. Pods reach each other through the root namespace, with
// forwarding enabled only on their own host-side interfaces (the machine's global
// ip_forward is left alone).

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args);
    return stdout;
  } catch (err) {
    throw new ClovisorError('LAB', `ip ${args.join(' ')} failed: ${errorMessage(err)} (needs root and iproute2)`);
  }
}

export interface Pod {
  name: string;
  netns: string;
  /** host-side veth: where Clovisor attaches */
  hostInterface: string;
  address: string;
  gateway: string;
  /** starts a process inside the pod's network namespace */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  exec(command: string, args: string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
}

export class Lab {
  readonly id = randomBytes(2).toString('hex');
  private readonly pods: Pod[] = [];
  private readonly children: ChildProcess[] = [];
  private second = 0;
  private destroyed = false;

  /** Creates a pod at 10.<random>.<index>.2/24 with its gateway at .1 on the host side. */
  async addPod(name: string): Promise<Pod> {
    const index = this.pods.length + 1;
    if (this.second === 0) this.second = await unusedSecondOctet();
    const netns = `clv-${this.id}-${name}`;
    const hostInterface = `clv${this.id}${index}h`;
    const podInterface = `clv${this.id}${index}p`;
    const subnet = `10.${this.second}.${index}`;
    const address = `${subnet}.2`;
    const gateway = `${subnet}.1`;
    await ip('netns', 'add', netns);
    const pod: Pod = {
      name,
      netns,
      hostInterface,
      address,
      gateway,
      spawn: (command, args, options = {}) => {
        const child = spawn('ip', ['netns', 'exec', netns, command, ...args], { stdio: 'pipe', ...options });
        this.children.push(child);
        return child;
      },
      exec: async (command, args, timeoutMs = 30_000) => run('ip', ['netns', 'exec', netns, command, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }),
    };
    this.pods.push(pod);
    await ip('link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', podInterface);
    await ip('link', 'set', podInterface, 'netns', netns);
    await ip('addr', 'add', `${gateway}/24`, 'dev', hostInterface);
    await ip('link', 'set', hostInterface, 'up');
    await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', podInterface);
    await ip('-n', netns, 'link', 'set', podInterface, 'up');
    await ip('-n', netns, 'link', 'set', 'lo', 'up');
    await ip('-n', netns, 'route', 'add', 'default', 'via', gateway);
    writeFileSync(`/proc/sys/net/ipv4/conf/${hostInterface}/forwarding`, '1');
    return pod;
  }

  /** Stops what the pods run, deletes the namespaces (and so their veths); safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    // deleting a namespace does not stop its processes
    await Promise.all(this.children.map((child) => stopChild(child)));
    for (const pod of this.pods) {
      await ip('link', 'del', pod.hostInterface).catch(() => undefined);
      await ip('netns', 'del', pod.netns).catch(() => undefined);
    }
  }
}

/** A 10.<n>.0.0/16 (n in 200–249) that no route uses yet, so labs running side by side do not collide. */
async function unusedSecondOctet(): Promise<number> {
  const routes = await ip('-4', 'route', 'show', 'table', 'all');
  const used = new Set([...routes.matchAll(/\b10\.(\d+)\./g)].map((m) => Number(m[1])));
  const free = Array.from({ length: 50 }, (_, i) => 200 + i).filter((n) => !used.has(n));
  if (free.length === 0) throw new ClovisorError('LAB', 'no free 10.200-249.0.0/16 range for lab pods: delete stale namespaces (`ip netns list | grep clv-`)');
  return free[randomBytes(1)[0]! % free.length]!;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
