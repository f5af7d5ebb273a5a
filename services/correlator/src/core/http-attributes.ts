// OpenTelemetry semantic-convention attributes (HTTP spans, semconv 1.3x stable names) plus
// Clovisor's own clovisor.* extras, for one transaction.

import { boolAttr, intAttr, stringAttr, type AttributeValue, type HttpFields, type Transaction } from '@clovisor/core';
import { parseHostHeader } from './host-header.js';
import { localEndpoint, peerEndpoint } from './span-role.js';
import { addIntHopAttributes } from './int-attributes.js';

type Attributes = Record<string, AttributeValue>;

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** semconv http.request.method: a known method, else "_OTHER" (the original goes alongside). */
export function semconvMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** Adds the HTTP attributes to `attrs` (one object filled in place: spreading ~35 keys per span was the hot spot). */
export function addHttpAttributes(attrs: Attributes, tx: Transaction, http: HttpFields, errorType: string | null): void {
  const method = semconvMethod(http.method);
  attrs['http.request.method'] = stringAttr(method);
  if (method === '_OTHER') attrs['http.request.method_original'] = stringAttr(http.method);
  attrs['url.scheme'] = stringAttr('http'); // the capture sees plaintext only
  attrs['url.path'] = stringAttr(http.path);
  const query = http.query?.replace(/^\?/, '');
  if (query) attrs['url.query'] = stringAttr(query);
  if (http.statusCode !== null) attrs['http.response.status_code'] = intAttr(http.statusCode);
  if (errorType !== null) attrs['error.type'] = stringAttr(errorType);

  // server.*: the name the client asked for (Host), else the address it connected to. A Host
  // without a port keeps the port observed on the wire, which is what the packets went to.
  const host = http.requestHeaders['host'] === undefined ? null : parseHostHeader(http.requestHeaders['host']);
  attrs['server.address'] = stringAttr(host?.host ?? tx.server.address);
  attrs['server.port'] = intAttr(host?.port ?? tx.server.port);
  attrs['client.address'] = stringAttr(tx.client.address);
  attrs['client.port'] = intAttr(tx.client.port);

  const peer = peerEndpoint(tx);
  const local = localEndpoint(tx);
  attrs['network.protocol.name'] = stringAttr('http');
  attrs['network.protocol.version'] = stringAttr(http.version);
  attrs['network.transport'] = stringAttr('tcp');
  attrs['network.type'] = stringAttr(peer.address.includes(':') ? 'ipv6' : 'ipv4');
  attrs['network.peer.address'] = stringAttr(peer.address);
  attrs['network.peer.port'] = intAttr(peer.port);
  attrs['network.local.address'] = stringAttr(local.address);
  attrs['network.local.port'] = intAttr(local.port);

  const userAgent = http.requestHeaders['user-agent'];
  if (userAgent !== undefined) attrs['user_agent.original'] = stringAttr(userAgent);
  // semconv wants a string[] here; the span record has no array values, so one string.
  const requestId = http.requestHeaders['x-request-id'];
  if (requestId !== undefined) attrs['http.request.header.x-request-id'] = stringAttr(requestId);
  attrs['http.request.body.size'] = intAttr(http.requestBodyBytes);
  attrs['http.response.body.size'] = intAttr(http.responseBodyBytes);
}

/** Adds the clovisor.* attributes, present on every span whatever the protocol. */
export function addClovisorAttributes(attrs: Attributes, tx: Transaction, traceSource: string): void {
  attrs['clovisor.flow_id'] = stringAttr(tx.flowId);
  attrs['clovisor.transaction_id'] = stringAttr(tx.id);
  attrs['clovisor.complete'] = boolAttr(tx.complete);
  attrs['clovisor.interface'] = stringAttr(tx.interfaceName);
  attrs['clovisor.node'] = stringAttr(tx.node);
  attrs['clovisor.request.bytes'] = intAttr(tx.requestBytes);
  attrs['clovisor.response.bytes'] = intAttr(tx.responseBytes);
  attrs['clovisor.trace_source'] = stringAttr(traceSource);
  if (tx.notes.length > 0) attrs['clovisor.notes'] = stringAttr(tx.notes.join('; '));
  if (tx.peer?.service) attrs['clovisor.peer.service'] = stringAttr(tx.peer.service);
  if (tx.peer?.namespace) attrs['clovisor.peer.namespace'] = stringAttr(tx.peer.namespace);
  if (tx.peer?.name) attrs['clovisor.peer.pod'] = stringAttr(tx.peer.name);
  addNodeInterfaceAttributes(attrs, tx);
  addIntHopAttributes(attrs, tx);
}

/**
 * Node-interface tracing: when the exchange crossed a node NIC, as offsets from the pod-interface
 * times (epoch ns do not fit an attribute's safe integer range). For a client pod, request
 * offset > 0 (the request leaves the pod first) and round trip = time spent beyond the node.
 */
function addNodeInterfaceAttributes(attrs: Attributes, tx: Transaction): void {
  const node = tx.nodeInterface;
  if (!node) return;
  attrs['clovisor.node_interface.name'] = stringAttr(node.name);
  if (node.requestNs !== null) attrs['clovisor.node_interface.request_offset_ns'] = intAttr(Number(node.requestNs - tx.requestStartNs));
  if (node.responseNs !== null && tx.responseStartNs !== null) {
    attrs['clovisor.node_interface.response_offset_ns'] = intAttr(Number(node.responseNs - tx.responseStartNs));
  }
  if (node.requestNs !== null && node.responseNs !== null) {
    attrs['clovisor.node_interface.round_trip_ns'] = intAttr(Number(node.responseNs - node.requestNs));
  }
}
