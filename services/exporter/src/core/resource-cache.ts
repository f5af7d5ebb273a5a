// One Resource object per distinct resource map. The OTLP serializer groups spans by Resource
// *identity*, so reusing the object is what puts all spans of one service into one
// ResourceSpans; it also saves rebuilding it per span. Bounded, least recently used out first.

import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';

export class ResourceCache {
  private readonly entries = new Map<string, Resource>();
  private evictions = 0;

  constructor(private readonly capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('ResourceCache: capacity must be a positive integer');
  }

  get(attributes: Readonly<Record<string, string>>): Resource {
    const key = cacheKey(attributes);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key); // re-insert: most recently used goes last
      this.entries.set(key, hit);
      return hit;
    }
    const resource = resourceFromAttributes({ ...attributes });
    this.entries.set(key, resource);
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as string);
      this.evictions++;
    }
    return resource;
  }

  stats(): { size: number; evictions: number } {
    return { size: this.entries.size, evictions: this.evictions };
  }
}

/** Order-independent: the same attributes in any insertion order share one Resource. */
function cacheKey(attributes: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
