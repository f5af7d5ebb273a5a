export { createKafka, parseBrokers } from './client.js';
export { ensureTopics, type TopicSpec } from './topics.js';
export { RecordProducer, RecordTooLargeError, MAX_RECORD_BYTES, MAX_REQUEST_BYTES, recordBytes, splitBySize, type OutgoingRecord, type ProducerStats } from './producer.js';
export { StageConsumer, type ConsumedRecord, type BatchHandler, type BatchOutcome, type StageConsumerOptions } from './consumer.js';
export { TransformStage, type ProcessOutput, type TransformStageOptions, type TransformStageStats } from './transform-stage.js';
