#!/usr/bin/env node
/**
 * Fails when a tracked document names a path on one developer's machine (/work/..., /root/...,
 * /home/<user>/..., /Users/<user>/...): a reader's clone is elsewhere. Docs say `../shared/...`
 * (relative to the repository) or a placeholder instead. Part of `npm run lint`.
 */
import { trackedFiles } from './tracked-files.mjs';

// An absolute path that starts at one of these roots, not preceded by a word, dot or slash
// (so `../shared/work/x` or `https://host/home/` do not count).
const MACHINE_PATH = /(?<![\w./:-])\/(?:work|root|home\/[\w.-]+|Users\/[\w.-]+)\/\w/;

const found = [];
let count = 0;
for (const { file, text } of trackedFiles(['*.md', '*.mjs', '*.js', '*.ts', '*.toml'])) {
  count++;
  text.split('\n').forEach((line, i) => {
    if (MACHINE_PATH.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
  });
}
if (found.length) {
  process.stderr.write(
    `check-doc-paths: ${found.length} line(s) name a path on one machine; use a path relative to the repository (../shared/...) or a placeholder:\n${found.join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`check-doc-paths: ${count} files, no machine-specific paths\n`);
