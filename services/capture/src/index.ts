export { CaptureStage, type CaptureSettings, type CaptureStats } from './io/capture-stage.js';
export { decodeCaptureEvent, CAPTURE_EVENT_HEADER_BYTES, type CaptureEvent, type TcHook } from './core/capture-event.js';
export { FlowTracker, type FlowTrackerOptions, type FlowTrackerStats, type MonitoredInterface } from './core/flow-tracker.js';
