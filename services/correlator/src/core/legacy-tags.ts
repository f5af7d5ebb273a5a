// --legacy-tags: the tag names OPNFV Clover's Clovisor put on its HTTP spans, for dashboards
// and queries written against it. Values are strings, as Clovisor's were (it kept them in a
// map[string]string). They are added next to the semconv attributes, never instead of them.
//
// Clovisor's srcip/srcport were the request's sender and dstip/dstport its receiver whatever
// side it captured on, so they are the client and server here. Its traceid was the
// X-B3-TraceId header only; here it is the trace id of whichever supported header carried one.

import { stringAttr, type AttributeValue, type HttpFields, type Transaction } from '@clovisor/core';
import type { TraceContext } from './trace-context/extract.js';

export const LEGACY_TAGS = [
  'reqmethod', 'requrl', 'reqproto', 'respstatuscode', 'respstatus', 'srcip', 'dstip', 'srcport', 'dstport',
  'requestid', 'traceid', 'envoydecorator', 'podname', 'nodename', 'useragent', 'host',
] as const;

export type LegacyTag = (typeof LEGACY_TAGS)[number];

/** Adds the legacy tags of an HTTP transaction to `attrs`; absent values are left out, as Clovisor did. */
export function addLegacyTags(attrs: Record<string, AttributeValue>, tx: Transaction, http: HttpFields, ctx: TraceContext): void {
  const tags: Partial<Record<LegacyTag, string | null | undefined>> = {
    reqmethod: http.method,
    requrl: http.target,
    reqproto: `HTTP/${http.version}`,
    respstatuscode: http.statusCode === null ? null : String(http.statusCode),
    // Go's resp.Status: "200 OK"
    respstatus: http.statusCode === null ? null : `${http.statusCode}${http.reason ? ` ${http.reason}` : ''}`,
    srcip: tx.client.address,
    dstip: tx.server.address,
    srcport: String(tx.client.port),
    dstport: String(tx.server.port),
    requestid: ctx.requestId,
    traceid: ctx.traceId,
    envoydecorator: ctx.decoratorOperation,
    podname: tx.pod?.name,
    nodename: tx.node,
    useragent: http.requestHeaders['user-agent'],
    host: http.requestHeaders['host'],
  };
  for (const name of LEGACY_TAGS) {
    const value = tags[name];
    if (value !== null && value !== undefined && value !== '') attrs[name] = stringAttr(value);
  }
}
