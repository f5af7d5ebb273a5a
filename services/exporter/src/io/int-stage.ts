import type { Kafka } from 'kafkajs';
import {
  StageConsumer, Topics, stageGroupId, codecs, deadLetterFor, loadRegistrySchemas,
  type Component, type ConsumedRecord, type IntReportBatch, type Logger, type OutgoingRecord, type RecordProducer,
} from '@clovisor/core';
import { IntReporter, type IntReporterStats } from '../core/int/reporter.js';
import type { IntVersion } from '../core/int/report.js';
import { UdpSender, type UdpSenderStats, type UdpTarget } from './udp-sender.js';

export interface IntExportStageOptions {
  collector: UdpTarget;
  version: IntVersion;
  hwId: number;
  /** configured switch_id / Node ID; null = each batch's node IPv4 address */
  switchId: number | null;
  /** datagrams waiting for the kernel at most (default 256) */
  maxInFlight?: number;
  /** defaults: Topics.int, Topics.deadletter, clovisor-int-exporter (+ suffix) */
  topic?: string;
  deadLetterTopic?: string;
  groupId?: string;
}

export interface IntExportStageStats extends IntReporterStats, Omit<UdpSenderStats, 'lastError'> {
  batchesConsumed: number;
  deadLettered: number;
}

/**
 * clovisor.int.v1 → INT telemetry reports over UDP, one per event. A batch is committed once all
 * its reports were handed to the kernel; a record that does not decode goes to the dead-letter
 * topic. The sequence numbers live in this process (a restart begins again at 1, as
 * int-host-reporter does).
 */
export class IntExportStage implements Component {
  readonly name = 'int-exporter';
  private readonly consumer: StageConsumer;
  private readonly reporter: IntReporter;
  private sender: UdpSender | null = null;
  private readonly deadLetterTopic: string;
  private batchesConsumed = 0;
  private deadLettered = 0;

  constructor(kafka: Kafka, private readonly producer: RecordProducer, private readonly options: IntExportStageOptions, private readonly log: Logger) {
    this.reporter = new IntReporter({ version: options.version, hwId: options.hwId, switchId: options.switchId });
    this.deadLetterTopic = options.deadLetterTopic ?? Topics.deadletter;
    this.consumer = new StageConsumer(kafka, {
      groupId: options.groupId ?? stageGroupId('int-exporter'),
      topic: options.topic ?? Topics.int,
      handle: (records) => this.handle(records),
    }, log);
  }

  async start(): Promise<void> {
    this.sender = await UdpSender.open(this.options.collector, this.options.maxInFlight);
    this.log.info('sending INT telemetry reports', { collector: this.sender.address, version: this.options.version, hwId: this.options.hwId });
    await this.consumer.start();
  }

  stats(): IntExportStageStats {
    const { lastError: _, ...sender } = this.sender?.stats() ?? { sent: 0, sendErrors: 0, droppedFull: 0, lastError: null };
    return { ...this.reporter.stats(), ...sender, batchesConsumed: this.batchesConsumed, deadLettered: this.deadLettered };
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.sender?.close();
    if (this.sender) this.log.info('INT reports sent', { ...this.stats(), lastSendError: this.sender.stats().lastError });
  }

  private async handle(records: ConsumedRecord[]): Promise<void> {
    const sender = this.sender!;
    const dead: OutgoingRecord[] = [];
    await loadRegistrySchemas(records.map((r) => r.value)); // registry mode; an outage retries the batch
    for (const record of records) {
      let batch: IntReportBatch;
      try {
        batch = codecs().int.decode(record.value);
      } catch (err) {
        dead.push(deadLetterFor('int-exporter', record, err));
        continue;
      }
      this.batchesConsumed += 1;
      for (const report of this.reporter.reports(batch)) {
        if (!sender.hasRoom()) await sender.room();
        sender.send(report.bytes);
      }
    }
    await sender.flush();
    if (dead.length > 0) await this.producer.send(this.deadLetterTopic, dead);
    this.deadLettered += dead.length;
  }
}
