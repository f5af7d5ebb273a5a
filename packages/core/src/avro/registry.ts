// Confluent Schema Registry REST client, the two calls Clovisor needs:
//   POST /subjects/<subject>/versions  {"schema": "<schema JSON>"}  → {"id": n}   (register, idempotent)
//   GET  /schemas/ids/<id>                                          → {"schema": "<schema JSON>"}
// Schemas by id never change, so they are cached (bounded: ids past the limit are fetched again).
import type avro from 'avsc';
import { ConfigError, UnavailableError, errorMessage } from '../errors.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const MAX_CACHED_SCHEMAS = 1000;

export class SchemaRegistryClient {
  readonly url: string;
  private readonly byId = new Map<number, avro.Schema | null>();

  constructor(url: string, private readonly timeoutMs = 10_000) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`--schema-registry "${url}": expected an http(s) URL, e.g. http://127.0.0.1:8081`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`--schema-registry "${url}": expected an http(s) URL`);
    this.url = url.replace(/\/+$/, '');
  }

  /** The id of `schema` under `subject`, registering it when new (the registry checks compatibility). */
  async register(subject: string, schema: avro.Schema): Promise<number> {
    const res = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, JSON.stringify({ schema: JSON.stringify(schema) }));
    if (res.status === 409) {
      throw new ConfigError(`schema registry ${this.url} refused the schema for ${subject} as incompatible with its earlier versions: ${errorBody(res.text)}; check the subject's compatibility level`);
    }
    if (res.status !== 200) throw this.failure(`POST /subjects/${subject}/versions`, res);
    const id = (JSON.parse(res.text) as { id?: unknown }).id;
    if (typeof id !== 'number') throw this.failure(`POST /subjects/${subject}/versions (no id in the answer)`, res);
    return id;
  }

  /** The writer schema of `id`, or null when the registry does not have it. */
  async schemaById(id: number): Promise<avro.Schema | null> {
    if (this.byId.has(id)) return this.byId.get(id)!;
    const res = await this.request('GET', `/schemas/ids/${id}`);
    let schema: avro.Schema | null;
    if (res.status === 404) schema = null;
    else if (res.status !== 200) throw this.failure(`GET /schemas/ids/${id}`, res);
    else schema = JSON.parse((JSON.parse(res.text) as { schema: string }).schema) as avro.Schema;
    if (this.byId.size >= MAX_CACHED_SCHEMAS) this.byId.delete(this.byId.keys().next().value as number);
    this.byId.set(id, schema);
    return schema;
  }

  private async request(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
    try {
      const res = await fetch(`${this.url}${path}`, {
        method, signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: CONTENT_TYPE, ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }) },
        ...(body === undefined ? {} : { body }),
      });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      throw new UnavailableError('SCHEMA_REGISTRY_UNREACHABLE', `schema registry unreachable at ${this.url}: ${errorMessage(err)} (start it or fix --schema-registry)`, { cause: err });
    }
  }

  private failure(what: string, res: { status: number; text: string }): UnavailableError {
    return new UnavailableError('SCHEMA_REGISTRY_ERROR', `schema registry ${this.url}: ${what} answered ${res.status}: ${errorBody(res.text)}`);
  }
}

/** The `message` of a Confluent error body ({"error_code": n, "message": "…"}), else the start of the text. */
export function errorBody(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error_code?: unknown };
    if (typeof body.message === 'string') return typeof body.error_code === 'number' && body.error_code !== 0 ? `${body.message} (error ${body.error_code})` : body.message;
  } catch {
    // not JSON: a proxy's page, say
  }
  return text.slice(0, 200);
}
