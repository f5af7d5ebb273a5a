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
