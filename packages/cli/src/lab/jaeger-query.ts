// Reads traces back through Jaeger's HTTP query API (the one its UI uses).

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  startTime: number; // µs
  duration: number; // µs
  tags: Array<{ key: string; type: string; value: unknown }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }>;
}

export async function getTrace(queryBase: string, traceId: string): Promise<JaegerTrace | null> {
  const res = await fetch(`${queryBase}/api/traces/${traceId}`);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`Jaeger query ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { data: JaegerTrace[] };
  return body.data[0] ?? null;
}

/** Polls until the trace has at least `minSpans` spans, or returns what it has at the deadline. */
export async function waitForTrace(queryBase: string, traceId: string, minSpans: number, timeoutMs: number): Promise<JaegerTrace | null> {
  const deadline = Date.now() + timeoutMs;
  let trace: JaegerTrace | null = null;
  while (Date.now() < deadline) {
    trace = await getTrace(queryBase, traceId).catch(() => null);
    if (trace && trace.spans.length >= minSpans) return trace;
    await new Promise((r) => setTimeout(r, 500));
  }
  return trace;
}

export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]?.serviceName ?? '?';
}

/** The traces that have a span of `service` (Jaeger's search), started at or after `sinceMs`. */
export async function findTraces(queryBase: string, service: string, sinceMs: number, limit = 200): Promise<JaegerTrace[]> {
  const params = new URLSearchParams({ service, start: String(sinceMs * 1000), end: String(Date.now() * 1000 + 60_000_000), limit: String(limit) });
  const res = await fetch(`${queryBase}/api/traces?${params}`);
  if (!res.ok) throw new Error(`Jaeger search ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

/** The span it is a CHILD_OF, if any. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}
