import type { StackStatus } from './stack.js';

/** Human-readable `clovisor stack status` (the CLI prints JSON with --json instead). */
export function formatStatus(s: StackStatus): string {
  const rows = Object.values(s.components).map((c) => {
    const who = c.source === 'env' ? 'external (env)' : c.ours ? `ours, pid ${c.pid}` : c.up ? 'external' : '-';
    return `${c.name.padEnd(8)} ${(c.up ? 'up' : 'down').padEnd(5)} ${who.padEnd(18)} ${c.endpoint}${c.up ? '' : `  (${c.detail})`}`;
  });
  const registry = s.components.registry ? [] : ['registry not enabled (`clovisor stack up --registry` starts it)'];
  return [...rows, ...registry, `state: ${s.stateDir}`].join('\n');
}
