import { httpCall } from './http-call.js';
import type { ProbeResult } from './tcp.js';

/** Ready = GET <Confluent API base>/subjects answers 200 with a JSON array (the subject names). */
export async function probeSchemaRegistry(url: string, timeoutMs = 3000): Promise<ProbeResult> {
  const r = await httpCall(`${url}/subjects`, { headers: { accept: 'application/json' } }, timeoutMs);
  if ('refused' in r) return { ok: false, reachable: false, detail: `nothing listens at ${url}` };
  if ('error' in r) return { ok: false, reachable: true, detail: `${url}/subjects failed: ${r.error}` };
  let subjects: unknown;
  try {
    subjects = JSON.parse(r.body);
  } catch {
    subjects = undefined;
  }
  if (r.status !== 200 || !Array.isArray(subjects)) {
    return { ok: false, reachable: true, detail: `${url}/subjects is not the Confluent Schema Registry API (HTTP ${r.status})` };
  }
  return { ok: true, reachable: true, detail: `schema registry ${url}, ${subjects.length} subjects` };
}
