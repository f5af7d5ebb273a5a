// Kafka (the binary protocol of clients and brokers, all API versions up to Kafka 3.9) as a
// Protocol: size-prefixed messages, request header v1/v2, response header v0/v1, pairing by
// correlation id, topics of Produce / Fetch / Metadata requests, response error codes. Record
// batches are walked over and counted, never buffered.
import type { Protocol } from '../protocol.js';
import { detect, findFrameBoundary } from './header.js';
import { abandon, absorbGap, parseFrame } from './parse.js';
import { describe, stitch } from './stitch.js';
import { newKafkaState, type KafkaMessage, type KafkaState } from './types.js';

export const kafka: Protocol<KafkaMessage, KafkaState> = {
  name: 'kafka',
  portNames: ['kafka'],
  detect,
  newState: newKafkaState,
  findFrameBoundary,
  parseFrame,
  absorbGap,
  abandon,
  stitch,
  describe,
};

export type { KafkaMessage, KafkaState } from './types.js';
export { KAFKA_LIMITS } from './types.js';
export { apiName, isFlexible } from './apis.js';
