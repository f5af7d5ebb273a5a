// Reads a clovisor process's /metrics over HTTP, as Prometheus would.

export interface Scrape {
  /** `name` or `name{labels}` → value */
  values: Map<string, number>;
  /** metric family name → HELP text */
  help: Map<string, string>;
  text: string;
}

export async function scrapeMetrics(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics on port ${port}: HTTP ${res.status}`);
  const text = await res.text();
  const values = new Map<string, number>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    const h = /^# HELP (\S+) (.+)$/.exec(line);
    if (h) help.set(h[1]!, h[2]!);
    const v = /^([a-z_][a-z0-9_]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (v) values.set(v[1]!, Number(v[2]));
  }
  return { values, help, text };
}

/** Scrapes until every `want` metric satisfies its check (or fails with the last scrape's values). */
export async function waitForMetrics(port: number, want: Record<string, (value: number) => boolean>, timeoutMs = 30_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const scrape = await scrapeMetrics(port);
    const missing = Object.entries(want).filter(([name, ok]) => !ok(scrape.values.get(name) ?? Number.NaN));
    if (missing.length === 0) return scrape;
    if (Date.now() > deadline) {
      throw new Error(`after ${timeoutMs} ms on port ${port}: ${missing.map(([name]) => `${name}=${scrape.values.get(name) ?? 'absent'}`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
