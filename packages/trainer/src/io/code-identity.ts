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

/**
 * The packages whose compiled modules are in every identity, whole: @ferry/core (every
 * transform, the decode rule) and @ferry/model (the ONNX converter that makes the backbone's
 * feature model, the head).
 */
const CODE_PACKAGES = ['@ferry/core', '@ferry/model'];

/** The code files under `path` (a folder or one file), sorted: no tests, source maps or typings. */
function codeFilesUnder(path: string): string[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .sort()
      .filter((name) => !/\.test\.|\.map$|\.d\.ts$/.test(name))
      .flatMap((name) => codeFilesUnder(join(path, name)));
  }
  return /\.(js|ts|mjs)$/.test(path) ? [path] : [];
}

/**
 * The files an identity covers, in hashing order: each of CODE_PACKAGES' compiled folder, then
 * the named folders or files of this package (relative to its dist/ or src/).
 */
export function codeFiles(...ownPaths: string[]): string[] {
  const require = createRequire(import.meta.url);
  return [
    ...CODE_PACKAGES.map((name) => dirname(require.resolve(name))),
    ...ownPaths.map((path) => join(ownRoot, path)),
  ].flatMap(codeFilesUnder);
}

/** sha256 (hex, 16 chars) over each file's name and bytes, in the given order. */
export function filesIdentity(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file.slice(file.lastIndexOf('/') + 1));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

const memo = new Map<string, string>();

/**
 * sha256 (hex, 16 chars) over @ferry/core's and @ferry/model's compiled modules and the named
 * folders or files of this package (relative to its dist/ or src/).
 */
export function codeIdentity(...ownPaths: string[]): string {
  const key = ownPaths.join('\0');
  const known = memo.get(key);
  if (known) return known;
  const id = filesIdentity(codeFiles(...ownPaths));
  memo.set(key, id);
  return id;
}
