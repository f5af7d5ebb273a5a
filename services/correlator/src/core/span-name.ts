// Span names must be low-cardinality (Jaeger lists them per service as "operations").
//
// Envoy's x-envoy-decorator-operation wins: it is the route name the mesh chose. Otherwise the
// HTTP conventions ask for "{method} {http.route}", but a packet capture has no route
// template, so we use the path (as the original Clovisor did) with the segments that are
// obviously ids replaced by "{id}" (all digits, UUIDs, long hex), capped in length. The exact
// path stays in the url.path attribute.

const MAX_NAME_LENGTH = 128;
const ID_SEGMENT = /^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|(?=[^/]*\d)[0-9a-fA-F]{16,})$/;

export function collapsePath(path: string): string {
  if (path === '') return '/';
  return path
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? '{id}' : segment))
    .join('/');
}

/** `method` is the semconv method ("_OTHER" for unknown ones, named "HTTP" as semconv asks). */
export function httpSpanName(method: string, path: string, decoratorOperation: string | null): string {
  const name = decoratorOperation ?? `${method === '_OTHER' ? 'HTTP' : method} ${collapsePath(path)}`;
  return name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
}
