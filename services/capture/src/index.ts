export { CaptureStage, type CaptureSettings, type CaptureStats } from './io/capture-stage.js';
export { FlowTracker, type FlowTrackerOptions, type FlowTrackerStats, type MonitoredInterface } from './core/flow-tracker.js';
