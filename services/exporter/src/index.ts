export { SpanAdapter, type SpanAdapterOptions, type SpanAdapterStats } from './core/readable-span.js';
export { nsToHrTime } from './core/hr-time.js';
export { ResourceCache } from './core/resource-cache.js';
export { ExportError, classifyExportFailure, type OtlpProtocol } from './core/export-error.js';
export { SCOPE_NAME, SCOPE_VERSION } from './core/version.js';
export { createOtlpPusher, httpTracesUrl, grpcUrl, type OtlpPusher, type OtlpPushOptions, type OtlpPusherStats } from './io/otlp-push.js';
export { ExporterStage, type ExporterStageOptions, type ExporterStageStats } from './io/kafka-stage.js';
