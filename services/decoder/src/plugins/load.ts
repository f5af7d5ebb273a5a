// Loading a plugin module and checking it against the contract. Runs inside the plugin's
// worker, so a module whose top level loops, throws or allocates is contained like a plugin call.
import { access } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyProtocol } from '../protocols/registry.js';
import type { ProtocolName } from '../protocols/protocol.js';
import { limitAttributes } from './output.js';
import type { DropCounts, PluginLimits, PluginProtocol } from './types.js';

const REQUIRED_FUNCTIONS = ['newState', 'findFrameBoundary', 'parseFrame', 'absorbGap', 'abandon', 'stitch', 'describe'] as const;

export type Checked = { ok: true; plugin: PluginProtocol } | { ok: false; reason: string };

/** Is this module namespace a plugin? Its default export, else its export named `protocol`. */
export function checkPluginModule(mod: Record<string, unknown>): Checked {
  const candidate = mod['default'] ?? mod['protocol'];
  if (candidate === null || typeof candidate !== 'object') {
    return { ok: false, reason: 'the module has no default export (nor an export named `protocol`) that is an object' };
  }
  const p = candidate as Record<string, unknown>;
  if (typeof p['name'] !== 'string' || p['name'] === '') return { ok: false, reason: '`name` must be a non-empty string' };
  const missing = REQUIRED_FUNCTIONS.filter((f) => typeof p[f] !== 'function');
  if (missing.length > 0) return { ok: false, reason: `missing functions: ${missing.join(', ')}` };
  if (!Array.isArray(p['portNames']) || !p['portNames'].every((n) => typeof n === 'string')) {
    return { ok: false, reason: '`portNames` must be an array of strings (may be empty)' };
  }
  const ports = p['ports'];
  if (ports !== undefined && (!Array.isArray(ports) || !ports.every((n) => Number.isInteger(n) && n > 0 && n < 65536))) {
    return { ok: false, reason: '`ports` must be an array of port numbers 1-65535' };
  }
  if (p['detect'] !== undefined && typeof p['detect'] !== 'function') return { ok: false, reason: '`detect` must be a function' };
  return { ok: true, plugin: candidate as PluginProtocol };
}

/** Import the module at path (relative to the decoder's working directory) and check it. */
export async function loadPluginModule(path: string, generation: number): Promise<Checked> {
  const file = isAbsolute(path) ? path : resolve(path);
  try {
    await access(file);
  } catch {
    return { ok: false, reason: `file ${file} does not exist or cannot be read` };
  }
  let mod: Record<string, unknown>;
  try {
    // The query string makes a reload import the file again even where the module cache is shared.
    mod = (await import(`${pathToFileURL(file).href}?v=${generation}`)) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, reason: `import failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  return checkPluginModule(mod);
}

/**
 * The plugin as a built-in Protocol for the flow machinery: named by the key it was registered
 * under, detect() accepting everything (only its own flows reach its worker), describe() limited.
 */
export function asProtocol(protocol: string, plugin: PluginProtocol, limits: PluginLimits, drops: DropCounts): AnyProtocol {
  return {
    name: protocol as ProtocolName, // Transaction.protocol is a string; the cast only satisfies the built-in union
    portNames: plugin.portNames,
    detect: () => true,
    newState: () => plugin.newState(),
    findFrameBoundary: (d, b, from) => plugin.findFrameBoundary(d, b, from),
    parseFrame: (d, b, s, atEnd) => plugin.parseFrame(d, b, s, atEnd),
    absorbGap: (d, len, s) => plugin.absorbGap(d, len, s),
    abandon: (d, b, s) => plugin.abandon(d, b, s),
    stitch: (req, res, final) => plugin.stitch(req, res, final),
    describe: (ex) => {
      const fields: unknown = plugin.describe(ex);
      if (fields === null || typeof fields !== 'object') throw new TypeError('describe() must return { attributes: { ... } }');
      return { attributes: limitAttributes((fields as { attributes?: unknown }).attributes, limits, drops) };
    },
  };
}
