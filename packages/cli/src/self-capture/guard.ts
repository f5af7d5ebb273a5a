import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { promisify } from 'node:util';
import { ConfigError } from '@clovisor/core';
import { selfCaptureConflicts, type OwnTarget, type RoutedTarget } from './conflicts.js';

// Refuses to start a capture that would trace Clovisor's own connections (conflicts.ts): asks
// the kernel which interface each of them leaves through (`ip route get`). Blind to addresses
// rewritten after routing (a Service ClusterIP DNAT-ed to a pod): see docs/self-observability.md.

const run = promisify(execFile);

async function routeDevice(address: string): Promise<string | null> {
  try {
    const { stdout } = await run('ip', ['-j', 'route', 'get', address], { timeout: 5000 });
    const [route] = JSON.parse(stdout) as Array<{ dev?: string }>;
    return route?.dev ?? null;
  } catch {
    return null; // no route (or no iproute2): nothing of ours goes out through a traced veth there
  }
}

export async function refuseSelfCapture(targets: readonly OwnTarget[], interfaces: readonly string[], ports: readonly number[]): Promise<void> {
  const routed: RoutedTarget[] = [];
  for (const target of targets) {
    const addresses = await lookup(target.host, { all: true }).catch(() => []);
    for (const { address } of addresses) {
      const device = await routeDevice(address);
      if (device !== null) routed.push({ ...target, address, device });
    }
  }
  const conflicts = selfCaptureConflicts(routed, interfaces, ports);
  if (conflicts.length > 0) {
    throw new ConfigError(
      `capture would trace Clovisor's own traffic to ${conflicts.join(', ')}: each record published would be captured and published again. ` +
        'Do not trace that port on that interface (--port/--interface), or reach that server another way',
    );
  }
}
