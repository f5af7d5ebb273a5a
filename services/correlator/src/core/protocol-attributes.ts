// Names, attributes and status of spans for the protocols other than plain HTTP, after the
// OpenTelemetry semantic conventions (rpc.*, db.*, dns.*, messaging.*). HTTP has its own files
// (http-attributes.ts, span-name.ts); gRPC wins over HTTP/2 because its name says more.
import { intAttr, stringAttr, type AttributeValue, type Transaction } from '@clovisor/core';
import type { RoleStatus } from './span-role.js';

export interface ProtocolSpanParts {
  name: string;
  status: RoleStatus;
}

const OK: RoleStatus = { status: 'UNSET', statusMessage: null, errorType: null };
const MAX_TEXT = 2048;
const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
const failed = (message: string, errorType: string): RoleStatus => ({ status: 'ERROR', statusMessage: clip(message), errorType });

// gRPC codes a server reports as its own error (semconv: UNKNOWN, DEADLINE_EXCEEDED,
// UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS); for a client every non-zero code is.
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

/** Name and status for a non-HTTP (or gRPC) transaction, filling `attrs`; null for plain HTTP. */
export function protocolSpanParts(tx: Transaction, attrs: Record<string, AttributeValue>): ProtocolSpanParts | null {
  const set = (key: string, value: AttributeValue) => (attrs[key] = value);
  if (tx.grpc) {
    const g = tx.grpc;
    set('rpc.system', stringAttr('grpc'));
    set('rpc.service', stringAttr(g.service));
    set('rpc.method', stringAttr(g.method));
    if (g.grpcStatus !== null) set('rpc.grpc.status_code', intAttr(g.grpcStatus));
    set('clovisor.grpc.request_messages', intAttr(g.requestMessages));
    set('clovisor.grpc.response_messages', intAttr(g.responseMessages));
    const isError = g.grpcStatus !== null && (tx.podRole === 'CLIENT' ? g.grpcStatus !== 0 : SERVER_ERROR_CODES.has(g.grpcStatus));
    return { name: `${g.service}/${g.method}`, status: isError ? failed(g.grpcMessage ?? `grpc-status ${g.grpcStatus}`, String(g.grpcStatus)) : noResponse(tx) ?? OK };
  }
  if (tx.redis) {
    const r = tx.redis;
    set('db.system.name', stringAttr('redis'));
    set('db.operation.name', stringAttr(r.command));
    set('clovisor.redis.argument_count', intAttr(r.argumentCount));
    if (r.replyType) set('clovisor.redis.reply_type', stringAttr(r.replyType));
    return { name: r.command, status: r.error ? failed(r.error, r.error.split(' ')[0] ?? 'ERR') : noResponse(tx) ?? OK };
  }
  if (tx.postgres) {
    const p = tx.postgres;
    set('db.system.name', stringAttr('postgresql'));
    if (p.query) set('db.query.text', stringAttr(clip(p.query)));
    const operation = firstKeyword(p.tag ?? p.query);
    if (operation) set('db.operation.name', stringAttr(operation));
    if (p.tag) set('clovisor.postgres.tag', stringAttr(p.tag));
    const sqlstate = p.error?.split(' ')[0];
    if (sqlstate) set('db.response.status_code', stringAttr(sqlstate));
    return { name: operation ?? 'postgresql', status: p.error ? failed(p.error, sqlstate ?? 'error') : noResponse(tx) ?? OK };
  }
  if (tx.dns) {
    const d = tx.dns;
    set('dns.question.name', stringAttr(d.name));
    set('clovisor.dns.type', stringAttr(d.type));
    if (d.rcode) set('clovisor.dns.rcode', stringAttr(d.rcode));
    set('clovisor.dns.answers', stringAttr(clip(d.answers.join(', '))));
    // NXDOMAIN is an answer, not a failure of the exchange; SERVFAIL and REFUSED are.
    const isError = d.rcode === 'SERVFAIL' || d.rcode === 'REFUSED';
    return { name: `DNS ${d.type}`, status: isError ? failed(`${d.rcode} for ${d.name}`, d.rcode!) : noResponse(tx) ?? OK };
  }
  if (tx.kafka) {
    const k = tx.kafka;
    set('messaging.system', stringAttr('kafka'));
    set('messaging.operation.name', stringAttr(k.apiName));
    if (k.clientId) set('messaging.client.id', stringAttr(k.clientId));
    if (k.topics.length === 1) set('messaging.destination.name', stringAttr(k.topics[0]!));
    if (k.topics.length > 0) set('clovisor.kafka.topics', stringAttr(clip(k.topics.join(','))));
    set('clovisor.kafka.api_version', intAttr(k.apiVersion));
    set('clovisor.kafka.correlation_id', intAttr(k.correlationId));
    if (k.errorCode !== null) set('clovisor.kafka.error_code', intAttr(k.errorCode));
    const name = k.topics.length === 1 ? `${k.apiName} ${k.topics[0]}` : k.apiName;
    return { name, status: k.errorCode ? failed(`Kafka error code ${k.errorCode}`, String(k.errorCode)) : OK };
  }
  if (tx.http) return null;
  for (const [key, value] of Object.entries(tx.attributes)) set(`clovisor.${tx.protocol}.${key}`, stringAttr(clip(value)));
  return { name: tx.protocol, status: noResponse(tx) ?? OK };
}

function noResponse(tx: Transaction): RoleStatus | null {
  return tx.responseEndNs === null ? failed('no response captured', 'no_response') : null;
}

function firstKeyword(text: string | null): string | null {
  const word = text?.trim().split(/\s+/)[0]?.toUpperCase();
  return word && /^[A-Z]+$/.test(word) ? word : null;
}


