export { CaptureStage, type ApplyResult, type CaptureSettings, type CaptureStats } from './io/capture-stage.js';
export { planInterfaces, egressTargetsFor, type DesiredInterface, type EgressTarget, type PlannedPod } from './core/interface-plan.js';
export { AttachmentRecord } from './io/attachment-record.js';
export { FlowTracker, type FlowTrackerOptions, type FlowTrackerStats, type MonitoredInterface } from './core/flow-tracker.js';
export { createCaptureMetrics, type CaptureMetrics, type CaptureMetricsSnapshot } from './io/metrics.js';
export { MetricsServer, type MetricsServerOptions } from './io/metrics-server.js';
export {
  parseRedisConfig, defaultRedisConfig, RedisConfigKeys, DEFAULT_SELECTORS,
  type CaptureRedisConfig, type ConfigIssue, type EgressRule, type LabelSelector, type OtlpSuggestion,
  type ParsedRedisConfig, type RawRedisConfig, type RawValue, type RedisConfigKey,
} from './core/redis-config.js';
export { RedisConfigWatcher, type RedisConfigWatcherOptions, type RedisConfigWatcherStats } from './io/redis-config-watcher.js';
export { PodWatcher, loadKubeConfig, type PodWatcherOptions } from './kubernetes/pod-watcher.js';
export {
  computeMonitoredSet, isSelected,
  type KubePod, type KubeService, type LabelSelection, type MonitoredPod, type MonitoredPort, type SelectionInput,
} from './kubernetes/selection.js';
export { protocolOfPort, protocolOfPortName } from './kubernetes/port-protocol.js';
export { KubeApiServer, type KubeApiServerOptions, type KubeApiServerStats } from './testing/kube-api-server.js';
export { resolveHostInterface, runIp, type HostInterface, type IpRunner } from './kubernetes/host-interface.js';
export { KubernetesCapture, type KubernetesCaptureOptions } from './kubernetes/kubernetes-capture.js';
export { benchFlowTableSweep, type FlowTableSweepResult } from './bench/flow-table-sweep.js';
