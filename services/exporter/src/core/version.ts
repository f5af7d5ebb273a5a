// The instrumentation scope spans are reported under. Kept in step with package.json (a test
// checks); core code does not read files.
export const SCOPE_NAME = '@clovisor/exporter';
export const SCOPE_VERSION = '0.1.0';
