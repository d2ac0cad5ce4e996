#!/usr/bin/env node
// The `ferry` command. This file is committed, not built, so that `npm install` can link
// node_modules/.bin/ferry when it links the workspaces — which happens before the root `prepare`
// script has compiled src/ into dist/. It only loads the compiled CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'ferry: the CLI is not built yet (packages/trainer/dist/cli.js is missing).\n' +
      'Run `npm install` (it builds every package) or `npm run build` in the repository root, then try again.\n',
  );
  process.exit(1);
}
await import(cli.href);
