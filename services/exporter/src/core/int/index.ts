export { IntDropReason, DROP_REASON_TABLE, intDropReason, intDropReasonMeaning, refineIpHeaderDrop, renderDropReasonTable, type IntDropReasonCode } from './drop-reason.js';
export { encodeReportV05 } from './report-v05.js';
export { encodeReportV2 } from './report-v2.js';
export { SequenceNumbers, MAX_HW_ID } from './sequence.js';
export { switchIdFromIpv4 } from './switch-id.js';
export { IntReporter, type IntReport, type IntReporterOptions, type IntReporterStats } from './reporter.js';
export type { IntVersion, ReportHeader } from './report.js';
