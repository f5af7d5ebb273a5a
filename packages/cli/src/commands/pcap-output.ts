// How `clovisor pcap decode` prints transactions: one flat JSON object per line (ndjson), or an
// aligned table for people. Times are epoch nanoseconds, which exceed 2^53: in JSON they are
// strings of decimal digits, so no consumer silently rounds them.
import type { Transaction } from '@clovisor/core';

export type Flat = Record<string, unknown>;

/** The protocol's own fields, flattened to the top level under short names. */
function protocolFields(tx: Transaction): Flat {
  const out: Flat = {};
  const { http, grpc, dns, redis, postgres, kafka } = tx;
  if (http !== null) {
    Object.assign(out, { method: http.method, target: http.target, path: http.path, status: http.statusCode, version: http.version });
  }
  if (grpc !== null) {
    // gRPC rides on HTTP/2: its method wins `method`, the HTTP one stays as httpMethod.
    if (http !== null) out['httpMethod'] = http.method;
    Object.assign(out, { service: grpc.service, method: grpc.method, grpcStatus: grpc.grpcStatus, grpcMessage: grpc.grpcMessage });
  }
  if (dns !== null) Object.assign(out, { name: dns.name, type: dns.type, rcode: dns.rcode, answers: dns.answers });
  if (redis !== null) Object.assign(out, { command: redis.command, replyType: redis.replyType, error: redis.error });
  if (postgres !== null) Object.assign(out, { query: postgres.query, tag: postgres.tag, error: postgres.error });
  if (kafka !== null) {
    Object.assign(out, { apiName: kafka.apiName, apiVersion: kafka.apiVersion, topics: kafka.topics, errorCode: kafka.errorCode, clientId: kafka.clientId });
  }
  return out;
}

export function endNsOf(tx: Transaction): bigint {
  return tx.responseEndNs ?? tx.requestEndNs;
}

/** One transaction as the ndjson line's object. */
export function flatten(tx: Transaction): Flat {
  const out: Flat = {
    id: tx.id,
    flowId: tx.flowId,
    messageIndex: tx.messageIndex,
    protocol: tx.protocol,
    transport: tx.transport,
    node: tx.node,
    interfaceName: tx.interfaceName,
    client: tx.client,
    server: tx.server,
    startNs: tx.requestStartNs.toString(),
    endNs: endNsOf(tx).toString(),
    durationNs: Number(endNsOf(tx) - tx.requestStartNs),
    complete: tx.complete,
    requestBytes: tx.requestBytes,
    responseBytes: tx.responseBytes,
    notes: tx.notes,
    ...protocolFields(tx),
  };
  // Plugin attributes go to the top level too; one that would overwrite a field above keeps
  // its value under attr.<name> instead.
  for (const [key, value] of Object.entries(tx.attributes)) out[key in out ? `attr.${key}` : key] = value;
  return out;
}

const SUMMARY_MAX = 80;

function clean(text: string): string {
  const oneLine = text.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return oneLine.length > SUMMARY_MAX ? `${oneLine.slice(0, SUMMARY_MAX - 1)}…` : oneLine;
}

function summaryOf(tx: Transaction): string {
  if (tx.grpc !== null) return `${tx.grpc.service}/${tx.grpc.method}`;
  if (tx.http !== null) return `${tx.http.method} ${tx.http.target}`;
  if (tx.dns !== null) return `${tx.dns.type} ${tx.dns.name}`;
  if (tx.redis !== null) return tx.redis.command;
  if (tx.postgres !== null) return tx.postgres.query;
  if (tx.kafka !== null) return `${tx.kafka.apiName} v${tx.kafka.apiVersion}${tx.kafka.topics.length > 0 ? ` ${tx.kafka.topics.join(',')}` : ''}`;
  return Object.entries(tx.attributes).filter(([k]) => k !== pluginStatusKey(tx)).slice(0, 3).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** A plugin's outcome attribute (`<protocol>.status`, `.result`, `.code`), shown as the status. */
function pluginStatusKey(tx: Transaction): string | undefined {
  return Object.keys(tx.attributes).find((k) => /\.(status|result|code)$/.test(k));
}

function statusOf(tx: Transaction): string {
  const value = ((): string | number | null => {
    if (tx.grpc !== null) return tx.grpc.grpcStatus;
    if (tx.http !== null) return tx.http.statusCode;
    if (tx.dns !== null) return tx.dns.rcode;
    if (tx.redis !== null) return tx.redis.error !== null ? 'ERR' : tx.redis.replyType;
    if (tx.postgres !== null) return tx.postgres.error !== null ? 'ERROR' : tx.postgres.tag;
    if (tx.kafka !== null) return tx.kafka.errorCode;
    const key = pluginStatusKey(tx);
    return key === undefined ? null : (tx.attributes[key] ?? null);
  })();
  if (tx.responseStartNs === null) return 'no response';
  const text = value === null ? '-' : String(value);
  return tx.complete ? text : `${text} (partial)`;
}

/** UTC time of day with microseconds: captures are read next to their timestamps. */
function timeOf(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const micros = String(Number((ns / 1000n) % 1_000_000n)).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(11, 19)}.${micros}`;
}

function durationOf(tx: Transaction): string {
  return `${(Number(endNsOf(tx) - tx.requestStartNs) / 1e6).toFixed(3)} ms`;
}

const endpoint = (e: { address: string; port: number }): string => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);

/** The table, header first, columns padded to their widest cell; duration right-aligned. */
export function formatTable(txs: readonly Transaction[]): string[] {
  const header = ['TIME (UTC)', 'PROTOCOL', 'CLIENT → SERVER', 'SUMMARY', 'STATUS', 'DURATION'];
  const rows = txs.map((tx) => [
    timeOf(tx.requestStartNs), tx.protocol, `${endpoint(tx.client)} → ${endpoint(tx.server)}`,
    clean(summaryOf(tx)), statusOf(tx), durationOf(tx),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const last = header.length - 1;
  return all.map((r) => r.map((cell, i) => (i === last ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** Request start order, then flow and position: the same file always prints the same way. */
export function byStart(a: Transaction, b: Transaction): number {
  if (a.requestStartNs !== b.requestStartNs) return a.requestStartNs < b.requestStartNs ? -1 : 1;
  if (a.flowId !== b.flowId) return a.flowId < b.flowId ? -1 : 1;
  return a.messageIndex - b.messageIndex;
}
