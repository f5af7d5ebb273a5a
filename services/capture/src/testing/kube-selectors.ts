// Field and label selectors as the API server evaluates them, for the test API server.
// Only the equality-based grammar (`a=b`, `a==b`, `a!=b`, and for labels `a` / `!a`); the
// set-based label grammar (`in`, `notin`) is refused with 400 like an unknown field would be.

export interface KubeObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; uid?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

export type Selector = (obj: KubeObject) => boolean;

export class SelectorError extends Error {}

const FIELDS: Record<string, (o: KubeObject) => string> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
  'spec.nodeName': (o) => String(o.spec?.['nodeName'] ?? ''),
};

export function parseFieldSelector(text: string | null): Selector {
  const terms = splitTerms(text).map((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid field selector term "${term}"`);
    const get = FIELDS[m[1]!];
    if (!get) throw new SelectorError(`field label not supported: ${m[1]}`);
    const negate = m[2] === '!=';
    const value = m[3]!;
    return (o: KubeObject) => (get(o) === value) !== negate;
  });
  return (o) => terms.every((t) => t(o));
}

export function parseLabelSelector(text: string | null): Selector {
  const terms = splitTerms(text).map((term) => {
    if (/\s(in|notin)\s/.test(term) || term.includes('(')) throw new SelectorError(`set-based selector not supported here: "${term}"`);
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
    if (m) {
      const [key, op, value] = [m[1]!, m[2]!, m[3]!];
      return (o: KubeObject) => (o.metadata.labels?.[key] === value) !== (op === '!=');
    }
    if (term.startsWith('!')) return (o: KubeObject) => o.metadata.labels?.[term.slice(1)] === undefined;
    return (o: KubeObject) => o.metadata.labels?.[term] !== undefined;
  });
  return (o) => terms.every((t) => t(o));
}

function splitTerms(text: string | null): string[] {
  if (!text) return [];
  return text.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}
