// Prometheus /metrics for every stage (prom-client), a subpath of its own so that processes
// without a metrics endpoint (pcap tools, replays) do not load prom-client.
export { MetricsEndpoint, type MetricsEndpointOptions, type StageMetrics } from './endpoint.js';
export { MetricFamilies, type MetricValue, type TotalCounter, type LabelledCounter, type CurrentGauge } from './families.js';
export { MetricsServer, type MetricsServerOptions } from './metrics-server.js';
