import { httpCall } from './http-call.js';
import type { ProbeResult } from './tcp.js';

/**
 * Ready = the query API answers GET /api/services with Jaeger's JSON envelope AND the OTLP/HTTP
 * receiver accepts an empty export (200). Both are needed: the UI reads one, exporters write the other.
 */
export async function probeJaeger(
  ep: { otlpHttp: string; jaegerQuery: string },
  timeoutMs = 3000,
): Promise<ProbeResult> {
  const q = await httpCall(`${ep.jaegerQuery}/api/services`, { headers: { accept: 'application/json' } }, timeoutMs);
  const o = await httpCall(
    `${ep.otlpHttp}/v1/traces`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' },
    timeoutMs,
  );
  const reachable = !('refused' in q) || !('refused' in o);
  const problems: string[] = [];
  if ('refused' in q) problems.push(`nothing listens at ${ep.jaegerQuery}`);
  else if ('error' in q) problems.push(`${ep.jaegerQuery}/api/services failed: ${q.error}`);
  else {
    let okJson = false;
    try {
      const parsed = JSON.parse(q.body) as unknown;
      okJson = q.status === 200 && typeof parsed === 'object' && parsed !== null && 'data' in parsed;
    } catch {
      okJson = false;
    }
    if (!okJson) problems.push(`${ep.jaegerQuery}/api/services is not the Jaeger query API (HTTP ${q.status})`);
  }
  if ('refused' in o) problems.push(`nothing listens at ${ep.otlpHttp}`);
  else if ('error' in o) problems.push(`${ep.otlpHttp}/v1/traces failed: ${o.error}`);
  else if (o.status !== 200) problems.push(`${ep.otlpHttp}/v1/traces answered HTTP ${o.status}, not an OTLP receiver`);
  if (problems.length === 0) return { ok: true, reachable: true, detail: `Jaeger query ${ep.jaegerQuery}, OTLP ${ep.otlpHttp}` };
  return { ok: false, reachable, detail: problems.join('; ') };
}
