export { CaptureStage, type ApplyResult, type CaptureSettings, type CaptureStats, type TracedInterface } from './io/capture-stage.js';
export { IntStage, type IntSettings } from './io/int-stage.js';
export { IntEventQueue, toIntEvent, type IntEventQueueStats } from './core/int-events.js';
export { parseWatchlist, describeRule, WATCHLIST_MAX_RULES, type WatchlistRule, type WatchlistNetwork } from './core/watchlist.js';
export { WatchlistWatcher, type WatchlistWatcherOptions, type WatchlistWatcherStats } from './io/watchlist-watcher.js';
export { topologyDocument, type TopologyLink, type TopologyInput } from './core/topology.js';
export { TopologyServer, TOPOLOGY_PATH, type TopologyServerOptions } from './io/topology-server.js';
export { planInterfaces, egressTargetsFor, type DesiredInterface, type EgressTarget, type PlannedPod } from './core/interface-plan.js';
export { AttachmentRecord } from './io/attachment-record.js';
export { FlowTracker, type FlowTrackerOptions, type FlowTrackerStats, type MonitoredInterface } from './core/flow-tracker.js';
export { createCaptureMetrics, type CaptureMetrics, type CaptureMetricsSnapshot, type IntMetricsSnapshot } from './io/metrics.js';
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
export { resolveHostInterface, runIp, vethPeerAddresses, type HostInterface, type IpRunner } from './kubernetes/host-interface.js';
export { KubernetesCapture, type KubernetesCaptureOptions } from './kubernetes/kubernetes-capture.js';
export { benchFlowTableSweep, type FlowTableSweepResult } from './bench/flow-table-sweep.js';
