import type { IntEvent, IntReportBatch } from '@clovisor/core';
import { intDropReason, IntDropReason } from './drop-reason.js';
import { encodeReportV05 } from './report-v05.js';
import { encodeReportV2 } from './report-v2.js';
import type { IntVersion, ReportHeader } from './report.js';
import { SequenceNumbers } from './sequence.js';
import { switchIdFromIpv4 } from './switch-id.js';

// IntReportBatch → telemetry reports (UDP payloads), one per event: the sequence numbers, the
// switch id and the drop reason mapping in one place, pure.

export interface IntReporterOptions {
  version: IntVersion;
  hwId: number;
  /** a configured switch_id / Node ID; null = the batch's node IPv4 address */
  switchId: number | null;
}

export interface IntReport {
  kind: 'HOP' | 'DROP';
  bytes: Buffer;
  /** INT drop reason code (0 for HOP) */
  dropReason: number;
}

export interface IntReporterStats {
  flowReports: number;
  dropReports: number;
  /** drop reports whose reason is 0 (unknown) */
  dropReasonUnknown: number;
  /** reports of batches without a usable node IPv4 address and no configured switch id: switch id 0 */
  switchIdUnknown: number;
  /** sequence counters forgotten (more senders than the bound): those restart at 1 */
  sequencesForgotten: number;
}

export class IntReporter {
  private readonly seq: SequenceNumbers;
  private readonly encode: (event: IntEvent, header: ReportHeader) => Buffer;
  private readonly counters: Omit<IntReporterStats, 'sequencesForgotten'> = { flowReports: 0, dropReports: 0, dropReasonUnknown: 0, switchIdUnknown: 0 };

  constructor(private readonly options: IntReporterOptions) {
    this.seq = new SequenceNumbers(options.version === '2' ? 22 : 32);
    this.encode = options.version === '2' ? encodeReportV2 : encodeReportV05;
  }

  reports(batch: IntReportBatch): IntReport[] {
    const nodeId = this.options.switchId ?? switchIdFromIpv4(batch.nodeAddress);
    return batch.events.map((event) => {
      const dropReason = event.kind === 'DROP' ? intDropReason(event.dropReasonName, event.packet) : IntDropReason.UNKNOWN;
      if (nodeId === null) this.counters.switchIdUnknown += 1;
      if (event.kind === 'DROP') {
        this.counters.dropReports += 1;
        if (dropReason === IntDropReason.UNKNOWN) this.counters.dropReasonUnknown += 1;
      } else {
        this.counters.flowReports += 1;
      }
      const bytes = this.encode(event, { switchId: nodeId ?? 0, hwId: this.options.hwId, seqNo: this.seq.take(this.options.hwId, nodeId ?? 0), dropReason });
      return { kind: event.kind, bytes, dropReason };
    });
  }

  stats(): IntReporterStats {
    return { ...this.counters, sequencesForgotten: this.seq.countersForgotten() };
  }
}
