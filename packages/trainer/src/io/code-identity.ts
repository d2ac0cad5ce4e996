/**
 * The identity of the code that makes a cache's content: sha256 over the compiled modules
 * themselves, so an edited transform, decoder or converter can never be served from a cache
 * written by the code before it (a version number would have to be remembered by hand).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's compiled `dist/` (or `src/` under the test runner): the folder above io/. */
const ownRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function hashTree(hash: ReturnType<typeof createHash>, path: string): void {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      // Only the code: tests and source maps do not change what it computes.
      if (/\.test\.|\.map$|\.d\.ts$/.test(name)) continue;
      hashTree(hash, join(path, name));
    }
  } else if (/\.(js|ts|mjs)$/.test(path)) {
    hash.update(path.slice(path.lastIndexOf('/') + 1));
    hash.update(readFileSync(path));
  }
}

const memo = new Map<string, string>();

/**
 * sha256 (hex, 16 chars) over @ferry/core's compiled modules (every transform and the decode rule)
 * and the named folders or files of this package (relative to its dist/ or src/).
 */
export function codeIdentity(...ownPaths: string[]): string {
  const key = ownPaths.join('\0');
  const known = memo.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  hashTree(hash, dirname(createRequire(import.meta.url).resolve('@ferry/core')));
  for (const path of ownPaths) hashTree(hash, join(ownRoot, path));
  const id = hash.digest('hex').slice(0, 16);
  memo.set(key, id);
  return id;
}
