#!/usr/bin/env node
// Entry point of `npx clovisor`. The TypeScript is compiled by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('clovisor: not built yet; run `npm install` (or `npm run build`) in the repository first\n');
  process.exit(1);
}
await import(main);
