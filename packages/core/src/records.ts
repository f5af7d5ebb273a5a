// The records that flow between the stages. They mirror schemas/*.avsc field for field;
// the Avro codec (avro.ts) converts between these and the wire. Epoch-nanosecond times are
// bigint because they exceed Number.MAX_SAFE_INTEGER.

export type Transport = 'TCP' | 'UDP';
export type PodRole = 'SERVER' | 'CLIENT';

export interface Endpoint {
  address: string;
  port: number;
}

export interface PodMeta {
  service: string | null;
  namespace: string | null;
  name: string | null;
  node: string | null;
}

/** TCP flag bits as in the TCP header's flags byte. */
export const TcpFlags = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export interface Segment {
  timestampNs: bigint;
  fromClient: boolean;
  seq: number;
  ack: number;
  flags: number;
  /** payload length on the wire; payload.length < wireLength means truncated by the snaplen */
  wireLength: number;
  payload: Buffer;
  /** node-interface tracing: epoch ns at which this segment crossed the node NIC; absent/null = not seen there */
  nodeTimestampNs?: bigint | null;
}

export type TcpSocketEventKind = 'STATE' | 'RETRANSMIT' | 'RESET_SENT' | 'RESET_RECEIVED';

/** An event of the pod's own TCP socket of a flow, from the kernel's tracepoints (tp_btf). */
export interface TcpSocketEvent {
  timestampNs: bigint;
  kind: TcpSocketEventKind;
  /** the socket is the client's (the pod is the client of the flow) */
  fromClient: boolean;
  /** STATE: the state left (kernel names: SYN_SENT, ESTABLISHED, FIN_WAIT1, …); else null */
  oldState: string | null;
  /** STATE: the state entered; other kinds: the socket's state at the event */
  newState: string;
  /** RETRANSMIT, RESET_SENT: sequence number of the segment; else 0 */
  seq: number;
}

export interface SegmentBatch {
  flowId: string;
  node: string;
  interfaceName: string;
  ifindex: number;
  transport: Transport;
  client: Endpoint;
  server: Endpoint;
  podRole: PodRole;
  pod: PodMeta | null;
  protocolHint: string | null;
  segments: Segment[];
  lostEventsBefore: number;
  /** node-interface tracing: the node NIC the flow crossed; absent/null = none */
  nodeInterfaceName?: string | null;
  /** socket events since the previous batch of the flow; absent in records written before they existed (reads as []) */
  tcpEvents?: TcpSocketEvent[];
  /** INT hop reports of this connection's packets since the previous batch, in ingress-time order; absent in older records (reads as []) */
  intHops?: IntHop[];
}

/** An INT hop report of a packet of the flow: it crossed the host from one interface to another. */
export interface IntHop {
  /** interface the packet entered on; 0 = originated on this host */
  ingressIfindex: number;
  /** interface it left on */
  egressIfindex: number;
  ingressTimeNs: bigint;
  egressTimeNs: bigint;
  /** the packet went from the flow's client to its server */
  fromClient: boolean;
}

export interface HttpFields {
  method: string;
  target: string;
  path: string;
  query: string | null;
  version: string;
  statusCode: number | null;
  reason: string | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  requestBodyBytes: number;
  responseBodyBytes: number;
}

export interface GrpcFields {
  service: string;
  method: string;
  grpcStatus: number | null;
  grpcMessage: string | null;
  requestMessages: number;
  responseMessages: number;
}

export interface DnsFields {
  id: number;
  name: string;
  type: string;
  rcode: string | null;
  answers: string[];
}

export interface RedisFields {
  command: string;
  argumentCount: number;
  replyType: string | null;
  error: string | null;
}

export interface PostgresFields {
  query: string;
  tag: string | null;
  error: string | null;
  extended: boolean;
}

export interface KafkaFields {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  topics: string[];
  errorCode: number | null;
}

export interface Transaction {
  id: string;
  flowId: string;
  messageIndex: number;
  protocol: string;
  transport: Transport;
  node: string;
  interfaceName: string;
  podRole: PodRole;
  pod: PodMeta | null;
  peer: PodMeta | null;
  client: Endpoint;
  server: Endpoint;
  requestSeq: number;
  requestStartNs: bigint;
  requestEndNs: bigint;
  responseStartNs: bigint | null;
  responseEndNs: bigint | null;
  requestBytes: number;
  responseBytes: number;
  complete: boolean;
  notes: string[];
  http: HttpFields | null;
  grpc: GrpcFields | null;
  dns: DnsFields | null;
  redis: RedisFields | null;
  postgres: PostgresFields | null;
  kafka: KafkaFields | null;
  /** fields of protocols decoded by plugins */
  attributes: Record<string, string>;
  /** node-interface tracing: when the exchange crossed a node NIC; absent/null = not seen there */
  nodeInterface?: NodeInterfaceTimes | null;
  /** INT hop tracking: a reported hop of the exchange's packets across the host; absent/null = none */
  intHop?: TransactionIntHop | null;
}

/** The hop a transaction carries (the decoder's pick among its flow's IntHops). */
export interface TransactionIntHop {
  ingressIfindex: number;
  egressIfindex: number;
  /** egress time − ingress time */
  latencyNs: number;
  /** epoch ns at which the packet entered the host */
  timeNs: bigint;
  /** a request-direction packet; false: a response-direction one */
  fromClient: boolean;
}

export interface NodeInterfaceTimes {
  name: string;
  /** epoch ns at which the request's first segment crossed the node interface */
  requestNs: bigint | null;
  responseNs: bigint | null;
}

export type ProtocolFieldsOfTransaction = Pick<Transaction, 'http' | 'grpc' | 'dns' | 'redis' | 'postgres' | 'kafka' | 'attributes'>;

/** The protocol-specific fields of a Transaction, all empty: a starting point for decoders. */
export function noProtocolFields(): ProtocolFieldsOfTransaction {
  return { http: null, grpc: null, dns: null, redis: null, postgres: null, kafka: null, attributes: {} };
}

/** Why an INT event was reported (schemas/int-report.v1.avsc). */
export type IntReportTrigger = 'FIRST' | 'INTERVAL' | 'LATENCY_BUCKET' | 'DROP';

/** One INT telemetry event of a packet: a hop across the host, or a drop with the kernel's reason. */
export interface IntEvent {
  kind: 'HOP' | 'DROP';
  trigger: IntReportTrigger;
  /** interface the packet entered on; 0 = originated on this host */
  ingressIfindex: number;
  /** interface it left on; 0 = none (a drop before egress) */
  egressIfindex: number;
  ingressTimeNs: bigint | null;
  egressTimeNs: bigint | null;
  dropTimeNs: bigint | null;
  /** the kernel's enum skb_drop_reason value (numbering differs between kernels) */
  dropReason: number | null;
  /** that value's name without the SKB_DROP_REASON_ prefix, e.g. IP_INNOROUTES */
  dropReasonName: string | null;
  /** the packet's 5-tuple as sent */
  flow: { transport: Transport; source: Endpoint; destination: Endpoint };
  /** first bytes (≤ 128) of the packet as an Ethernet frame */
  packet: Buffer;
  /** full length of the frame */
  packetLength: number;
}

/** INT telemetry events of one node (topic clovisor.int.v1, key = node). */
export interface IntReportBatch {
  node: string;
  /** the node's IPv4 address, the default INT switch_id; null when unknown */
  nodeAddress: string | null;
  events: IntEvent[];
}

export type SpanKind = 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type StatusCode = 'UNSET' | 'OK' | 'ERROR';

/** Exactly one field is non-null, as OTLP's AnyValue. */
export interface AttributeValue {
  stringValue: string | null;
  intValue: number | null;
  doubleValue: number | null;
  boolValue: boolean | null;
}

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState: string | null;
  traceFlags: number;
  name: string;
  kind: SpanKind;
  startNs: bigint;
  endNs: bigint;
  status: StatusCode;
  statusMessage: string | null;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, string>;
  transactionId: string;
}

export interface DeadLetter {
  stage: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  errorCode: string;
  errorMessage: string;
  timestampNs: bigint;
  value: Buffer | null;
}

export function stringAttr(value: string): AttributeValue {
  return { stringValue: value, intValue: null, doubleValue: null, boolValue: null };
}
export function intAttr(value: number): AttributeValue {
  return { stringValue: null, intValue: Math.trunc(value), doubleValue: null, boolValue: null };
}
export function doubleAttr(value: number): AttributeValue {
  return { stringValue: null, intValue: null, doubleValue: value, boolValue: null };
}
export function boolAttr(value: boolean): AttributeValue {
  return { stringValue: null, intValue: null, doubleValue: null, boolValue: value };
}
/** The attribute's value as a plain JS value. */
export function attrValue(value: AttributeValue): string | number | boolean | null {
  return value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
}
