// Registry mode for the whole process: every codec writes the Confluent wire format with the id
// the registry gave its schema (registered under <topic>-value for each topic the process
// writes), and reads Confluent-framed values whose schemas the shell loaded before decoding a
// batch (loadRegistrySchemas). Single-object values stay readable on any topic.
import { codecs, type Codecs } from './schemas.js';
import { confluentSchemaId, type RecordCodec } from './codec.js';
import { SchemaRegistryClient } from './registry.js';

let client: SchemaRegistryClient | null = null;

/** The registry URL from --schema-registry / CLOVISOR_SCHEMA_REGISTRY, or null. */
export function schemaRegistryUrl(flag: string | undefined, env: Record<string, string | undefined>): string | null {
  const url = flag ?? env['CLOVISOR_SCHEMA_REGISTRY'];
  return url === undefined || url === '' ? null : url;
}

/**
 * Registers each codec's schema under `<topic>-value` of the topics this process writes, and
 * switches every codec to registry mode. `writes` names which codec writes which topic.
 */
export async function useSchemaRegistry(url: string, writes: Array<{ topic: string; codec: keyof Codecs }>): Promise<SchemaRegistryClient> {
  const registry = new SchemaRegistryClient(url);
  const all = codecs();
  const ids = new Map<keyof Codecs, number>();
  for (const { topic, codec } of writes) {
    const id = await registry.register(`${topic}-value`, all[codec].schema);
    ids.set(codec, id);
  }
  for (const [name, codec] of Object.entries(all) as Array<[keyof Codecs, RecordCodec<unknown>]>) {
    codec.useRegistry(registry.url, ids.get(name) ?? null);
  }
  client = registry;
  return registry;
}

/** Fetches the schemas of the Confluent-framed values not seen yet, for the codec of their record type. */
export async function loadRegistrySchemas(values: ReadonlyArray<Buffer | null>): Promise<void> {
  if (client === null) return;
  const all = Object.values(codecs()) as RecordCodec<unknown>[];
  for (const value of values) {
    const id = confluentSchemaId(value);
    if (id === null || all.some((c) => c.hasRegistrySchema(id))) continue;
    const schema = await client.schemaById(id);
    const name = schema === null ? null : fullName(schema);
    for (const codec of all) {
      if (schema === null) codec.markRegistryIdUnusable(id, `is not in the schema registry at ${client.url}; the record was written against another registry`);
      else if (name !== codec.schemaName) codec.markRegistryIdUnusable(id, `is a ${name ?? 'schema without a name'}, not a ${codec.schemaName}`);
      else codec.addRegistrySchema(id, schema);
    }
  }
}

function fullName(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null) return null;
  const s = schema as { name?: unknown; namespace?: unknown };
  if (typeof s.name !== 'string') return null;
  return s.name.includes('.') || typeof s.namespace !== 'string' ? s.name : `${s.namespace}.${s.name}`;
}
