// docs/self-observability.md lists every metric family of the decoder, the correlator and the
// exporters, as the stages define them (and nothing they no longer define).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MetricsEndpoint, type StageMetrics } from '@clovisor/core/metrics';
import { createLogger } from '@clovisor/core';
import { decoderMetrics } from '@clovisor/decoder';
import { correlatorMetrics } from '@clovisor/correlator';
import { exporterMetrics, intExporterMetrics } from '@clovisor/exporter';

const DOC = readFileSync(fileURLToPath(new URL('../../../docs/self-observability.md', import.meta.url)), 'utf8');

test('every clovisor_decoder_*, _correlator_*, _exporter_* and _exporter_int_* family is in docs/self-observability.md with its labels', async () => {
  const endpoint = new MetricsEndpoint({ port: 0, processMetrics: false }, createLogger('docs-test', () => undefined));
  const unused = () => { throw new Error('not scraped'); };
  const families: Array<[string, StageMetrics]> = [
    ['clovisor_decoder', decoderMetrics(unused)], ['clovisor_correlator', correlatorMetrics(unused)],
    ['clovisor_exporter', exporterMetrics(unused)], ['clovisor_exporter_int', intExporterMetrics(unused)],
  ];
  for (const [prefix, metrics] of families) endpoint.add(prefix, metrics);
  const defined = new Set<string>();
  for (const metric of await endpoint.registry.getMetricsAsJSON()) {
    const labels = (endpoint.registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    const row = `\`${metric.name}${labels.length > 0 ? `{${labels.join(',')}}` : ''}\``;
    defined.add(row);
    assert.ok(DOC.includes(row), `${row} documented`);
    assert.ok(metric.help.length > 10, `${metric.name} has HELP text`);
  }
  const documented = [...DOC.matchAll(/`(clovisor_(?:decoder|correlator|exporter)_[a-z_]+(?:\{[a-z_,]+\})?)`/g)].map((m) => `\`${m[1]}\``);
  assert.ok(defined.size > 80, `${defined.size} families`);
  for (const row of documented) assert.ok(defined.has(row), `${row} in the docs is defined by a stage`);
});
