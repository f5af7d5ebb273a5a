export { decodeReport, decodeV05, decodeV2, readBits, type DecodedReport, type DecodedV05, type DecodedV2 } from './report-decode.js';
export { summarizeReports, hopLatencyNs, innerFlow, type ReportSummary, type HopGroup, type DropReport, type InnerFlow } from './report-summary.js';
export { ReportListener, type ReportListenerOptions, type ReportListenerStats } from './report-listener.js';
