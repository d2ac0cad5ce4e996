/**
 * The lint scripts' shared walk: every file git tracks that matches `patterns`, with its text.
 * A file deleted in the work tree but still in the index is left out.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function* trackedFiles(patterns, { exclude = () => false } = {}) {
  const files = execFileSync('git', ['ls-files', '-z', '--', ...patterns], { encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && !exclude(file));
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // deleted in the work tree but still in the index
    }
    yield { file, text };
  }
}
