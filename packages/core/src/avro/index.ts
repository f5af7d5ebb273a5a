export { RecordCodec, parseSchema } from './codec.js';
export { crc64Avro } from './crc64-avro.js';
export { codecs, type Codecs } from './schemas.js';
