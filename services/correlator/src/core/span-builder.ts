// One captured transaction → one span record (pure).

import { stringAttr, type AttributeValue, type SpanRecord, type Transaction } from '@clovisor/core';
import { addClovisorAttributes, addHttpAttributes, semconvMethod } from './http-attributes.js';
import { spanIdFor } from './ids.js';
import { addLegacyTags } from './legacy-tags.js';
import { resourceFor } from './resource.js';
import { httpSpanName } from './span-name.js';
import { protocolSpanParts } from './protocol-attributes.js';
import { httpStatusFor, spanKindFor, type RoleStatus } from './span-role.js';
import { extractTraceContext, type TraceContext } from './trace-context/extract.js';
import { resolveTrace, type LearnedTrace, type ResolvedTrace } from './trace-resolution.js';

export interface BuildSpanOptions {
  /** the request headers' context, when the caller already extracted it */
  context?: TraceContext;
  /** a trace learned from another hop with the same x-request-id */
  learned?: LearnedTrace | null;
  /** derive a shared trace id from x-request-id when nothing better is known (default true) */
  deriveTraceFromRequestId?: boolean;
  /** also add Clovisor's original tag names to HTTP spans (legacy-tags.ts); default false */
  legacyTags?: boolean;
}

export function buildSpan(tx: Transaction, opts: BuildSpanOptions = {}): SpanRecord {
  return buildSpanWithTrace(tx, opts).span;
}

/** buildSpan, also telling where the trace came from (the correlator learns from it). */
export function buildSpanWithTrace(tx: Transaction, opts: BuildSpanOptions = {}): { span: SpanRecord; trace: ResolvedTrace } {
  const ctx = opts.context ?? extractTraceContext(tx.http?.requestHeaders ?? {});
  const trace = resolveTrace(tx, ctx, opts.learned ?? null, opts.deriveTraceFromRequestId ?? true);
  const http = tx.http;
  const attributes: Record<string, AttributeValue> = {};
  const other = protocolSpanParts(tx, attributes);
  const roleStatus: RoleStatus = other?.status ?? (http
    ? httpStatusFor(tx.podRole, http.statusCode)
    : { status: 'UNSET', statusMessage: null, errorType: null });
  if (http) addHttpAttributes(attributes, tx, http, roleStatus.errorType);
  if (http && opts.legacyTags === true) addLegacyTags(attributes, tx, http, ctx);
  else if (roleStatus.errorType !== null) attributes['error.type'] = stringAttr(roleStatus.errorType);
  addClovisorAttributes(attributes, tx, trace.source);
  const startNs = tx.requestStartNs;
  // The response's last byte when there was one; else the request's (a span never ends
  // before it starts, even if capture timestamps disagree).
  const lastNs = tx.responseEndNs ?? tx.requestEndNs;
  const span: SpanRecord = {
    traceId: trace.traceId,
    spanId: spanIdFor(tx),
    parentSpanId: trace.parentSpanId,
    traceState: trace.traceState,
    traceFlags: trace.traceFlags,
    name: other?.name ?? (http ? httpSpanName(semconvMethod(http.method), http.path, ctx.decoratorOperation) : tx.protocol),
    kind: spanKindFor(tx.podRole),
    startNs,
    endNs: lastNs < startNs ? startNs : lastNs,
    status: roleStatus.status,
    statusMessage: roleStatus.statusMessage,
    attributes,
    resource: resourceFor(tx),
    transactionId: tx.id,
  };
  return { span, trace };
}
