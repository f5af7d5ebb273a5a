export { RecordCodec, parseSchema, confluentFrame, confluentSchemaId } from './codec.js';
export { SchemaRegistryClient } from './registry.js';
export { useSchemaRegistry, loadRegistrySchemas, schemaRegistryUrl } from './registry-mode.js';
export { crc64Avro } from './crc64-avro.js';
export { codecs, type Codecs } from './schemas.js';
