// Kafka frames and per-connection parser state.

/** One Kafka message (request or response). Record batches are counted, never kept. */
export interface KafkaMessage {
  kind: 'request' | 'response';
  /** the INT32 size prefix: bytes after it */
  size: number;
  /** requests: from the header; responses: from the request with the same correlation id
   * (null when that request was not seen) */
  apiKey: number | null;
  apiVersion: number | null;
  correlationId: number;
  clientId: string | null;
  /** Produce / Fetch / Metadata requests: topic names (Fetch v13+: topic ids as UUID text) */
  topics: string[];
  /** topics beyond maxTopics, counted not kept */
  topicsDropped: number;
  /** responses: top-level error code, else the first partition's (Produce, Fetch), else null */
  errorCode: number | null;
  /** Produce with acks=0: the broker sends no response */
  expectsResponse: boolean;
  /** bytes of record batches walked over (Produce requests) */
  recordBytes: number;
  notes: string[];
}

/** Where a Produce request body walk is (see produce.ts). */
export type ProducePhase = 'topic' | 'partition' | 'records' | 'partition-end' | 'end';

export interface ProduceWalk {
  flexible: boolean;
  phase: ProducePhase;
  topicsLeft: number;
  partitionsLeft: number;
  /** record bytes of the current partition not yet walked over */
  recordsLeft: number;
}

export interface KafkaDirectionState {
  /** the message whose head is parsed and whose rest is being walked, or null */
  msg: KafkaMessage | null;
  /** bytes of that message not consumed yet */
  frameLeft: number;
  /** non-null while walking a Produce request's topics and record batches */
  produce: ProduceWalk | null;
}

export interface InFlight {
  apiKey: number;
  apiVersion: number;
}

export interface KafkaState {
  request: KafkaDirectionState;
  response: KafkaDirectionState;
  /** correlation id → request awaiting its response (bounded; oldest dropped first) */
  inFlight: Map<number, InFlight>;
  /** in-flight entries dropped to the bound */
  inFlightDropped: number;
}

export const KAFKA_LIMITS = {
  /** a size prefix above this is not Kafka (the broker's socket.request.max.bytes is 100 MiB) */
  maxFrameBytes: 100 * 1024 * 1024,
  /** header + the fields read from a body before the rest is walked without parsing */
  maxHeadBytes: 64 * 1024,
  /** topic names kept per message */
  maxTopics: 64,
  /** characters kept of a client id or topic name */
  maxNameChars: 256,
  /** requests awaiting a response per connection (clients pipeline a few; Java: 5) */
  maxInFlight: 256,
} as const;

export function newDirectionState(): KafkaDirectionState {
  return { msg: null, frameLeft: 0, produce: null };
}

export function newKafkaState(): KafkaState {
  return { request: newDirectionState(), response: newDirectionState(), inFlight: new Map(), inFlightDropped: 0 };
}

export function newMessage(kind: 'request' | 'response', size: number, correlationId: number): KafkaMessage {
  return {
    kind, size, apiKey: null, apiVersion: null, correlationId, clientId: null, topics: [], topicsDropped: 0,
    errorCode: null, expectsResponse: true, recordBytes: 0, notes: [],
  };
}

export function addTopic(msg: KafkaMessage, topic: string): void {
  if (msg.topics.length < KAFKA_LIMITS.maxTopics) msg.topics.push(topic);
  else msg.topicsDropped++;
}
