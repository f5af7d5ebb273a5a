// SpanRecord (our topic's record) → ReadableSpan (what the official OTLP exporters serialize).
// Pure: ids, times, status and attributes are copied exactly; a span record carries no events
// or links. Attribute values with no field set (not valid per the schema) are dropped and
// counted rather than sent as null.

import { SpanKind, SpanStatusCode, type Attributes, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { attrValue, type SpanKind as RecordSpanKind, type SpanRecord, type StatusCode } from '@clovisor/core';
import { nsToHrTime } from './hr-time.js';
import { ResourceCache } from './resource-cache.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

const KINDS: Record<RecordSpanKind, SpanKind> = {
  INTERNAL: SpanKind.INTERNAL,
  SERVER: SpanKind.SERVER,
  CLIENT: SpanKind.CLIENT,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

const STATUSES: Record<StatusCode, SpanStatusCode> = {
  UNSET: SpanStatusCode.UNSET,
  OK: SpanStatusCode.OK,
  ERROR: SpanStatusCode.ERROR,
};

export interface SpanAdapterOptions {
  /** most distinct resources kept; default 1024 */
  resourceCacheSize?: number;
}

export interface SpanAdapterStats {
  spans: number;
  emptyAttributesDropped: number;
  endClampedToStart: number;
  resources: { size: number; evictions: number };
}

export class SpanAdapter {
  private readonly resources: ResourceCache;
  private readonly scope = { name: SCOPE_NAME, version: SCOPE_VERSION };
  private spans = 0;
  private emptyAttributesDropped = 0;
  private endClampedToStart = 0;

  constructor(opts: SpanAdapterOptions = {}) {
    this.resources = new ResourceCache(opts.resourceCacheSize);
  }

  toReadableSpan(record: SpanRecord): ReadableSpan {
    this.spans++;
    let endNs = record.endNs;
    if (endNs < record.startNs) {
      endNs = record.startNs; // a negative duration would be rejected or shown as garbage
      this.endClampedToStart++;
    }
    const context: SpanContext = {
      traceId: record.traceId,
      spanId: record.spanId,
      traceFlags: record.traceFlags,
      isRemote: false,
      ...(record.traceState ? { traceState: new TraceState(record.traceState) } : {}),
    };
    const parent: SpanContext | undefined =
      record.parentSpanId === null
        ? undefined
        : { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: record.traceFlags, isRemote: true };
    return {
      name: record.name,
      kind: KINDS[record.kind],
      spanContext: () => context,
      parentSpanContext: parent,
      startTime: nsToHrTime(record.startNs),
      endTime: nsToHrTime(endNs),
      duration: nsToHrTime(endNs - record.startNs),
      status: record.statusMessage === null ? { code: STATUSES[record.status] } : { code: STATUSES[record.status], message: record.statusMessage },
      attributes: this.attributes(record),
      links: [],
      events: [],
      ended: true,
      resource: this.resources.get(record.resource),
      instrumentationScope: this.scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }

  stats(): SpanAdapterStats {
    return {
      spans: this.spans,
      emptyAttributesDropped: this.emptyAttributesDropped,
      endClampedToStart: this.endClampedToStart,
      resources: this.resources.stats(),
    };
  }

  private attributes(record: SpanRecord): Attributes {
    const out: Attributes = {};
    for (const [key, value] of Object.entries(record.attributes)) {
      const plain = attrValue(value);
      if (plain === null) this.emptyAttributesDropped++;
      else out[key] = plain;
    }
    return out;
  }
}
