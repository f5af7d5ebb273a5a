// The process's Prometheus endpoint (--metrics-port): one per process, holding the families of
// every stage it runs, so `clovisor run` serves clovisor_capture_*, _decoder_*, _correlator_*,
// _exporter_* and _exporter_int_* on one port.
import type { Logger } from '@clovisor/core';
import type { MetricsEndpoint } from '@clovisor/core/metrics';
import type { StageName } from './commands/stages.js';

/**
 * Default ports when neither --metrics-port nor CLOVISOR_METRICS_PORT is given: stages run as
 * separate processes on one host (a laptop, a test) do not collide; in Kubernetes each pod has
 * its own address and the manifests give the port explicitly.
 */
export const DEFAULT_METRICS_PORTS: Readonly<Record<StageName, number>> = { capture: 9464, decode: 9465, correlate: 9466, export: 9467 };

/** The port to serve on (0 = none): the configured one when given, else the default of the command. */
export function metricsPortFor(stages: readonly StageName[], given: string | undefined, configured: number): number {
  if (given !== undefined) return configured;
  return stages.length === 1 ? DEFAULT_METRICS_PORTS[stages[0]!] : DEFAULT_METRICS_PORTS.capture;
}

/** The endpoint for the port, not listening yet (the stages add their families first); null for 0. */
export async function metricsEndpoint(port: number, log: Logger): Promise<MetricsEndpoint | null> {
  if (port === 0) return null;
  const { MetricsEndpoint } = await import('@clovisor/core/metrics');
  return new MetricsEndpoint({ port }, log);
}
