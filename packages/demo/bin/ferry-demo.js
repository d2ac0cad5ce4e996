#!/usr/bin/env node
// The `ferry-demo` command (`npm run demo`). Committed, not built, so that `npm install` can link
// node_modules/.bin/ferry-demo before the root `prepare` script compiles src/ into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'ferry-demo: not built yet (packages/demo/dist/cli.js is missing).\n' +
      'Run `npm install` (it builds every package) or `npm run build` in the repository root, then try again.\n',
  );
  process.exit(1);
}
await import(cli.href);
