#!/usr/bin/env node
/**
 * Fails when a module reaches into another package by path instead of by name: a relative
 * import that leaves its own package (`../../other-package/src/x.js`, `../testing/x.js`), an
 * import through `node_modules/` or another package's `dist/`, or a string naming
 * `packages/<another package>/` (a file path built by hand). A package is the nearest directory
 * with a package.json; packages talk through their names and `exports`. One exception: a package's
 * own build scripts (`packages/<name>/scripts/`) may import the repository's build tooling in the
 * root `scripts/` (e.g. scripts/wasm-codec/build.mjs), which is no package. Also fails on a cycle
 * between workspace packages, devDependencies included (a package's tests may not need a package
 * that needs it). Part of `npm run lint`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { trackedFiles } from './tracked-files.mjs';

const root = process.cwd();
const sources = trackedFiles(['*.ts', '*.tsx', '*.mjs', '*.js', '*.cjs'], {
  exclude: (file) => file.startsWith('scripts/'),
});

/** The directory of the nearest package.json at or above `dir`. */
function packageRoot(dir) {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (d === root || d === dirname(d)) return root;
  }
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;
const PACKAGE_PATH = /['"`/]packages\/([\w.-]+)\//g;

const problems = [];
let count = 0;
for (const { file, text } of sources) {
  count++;
  const dir = dirname(resolve(root, file));
  const own = packageRoot(dir);
  const ownName = relative(root, own).split(sep).at(-1);
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    for (const [, , spec] of line.matchAll(SPECIFIER)) {
      if (/(^|\/)node_modules\//.test(spec)) problems.push(`${where}: imports through node_modules: ${spec}`);
      else if (spec.startsWith('.')) {
        const target = resolve(dir, spec);
        const buildTooling =
          `${dir}${sep}`.startsWith(`${join(own, 'scripts')}${sep}`) &&
          target.startsWith(`${join(root, 'scripts')}${sep}`);
        if (!`${target}${sep}`.startsWith(`${own}${sep}`) && !buildTooling)
          problems.push(
            `${where}: relative import leaves its package (${relative(root, own) || '.'}): ${spec}`,
          );
      } else if (/^@ferry\/[\w.-]+\/dist\//.test(spec))
        problems.push(`${where}: imports another package's dist/: ${spec}`);
    }
    if (own === root) return;
    for (const [, name] of line.matchAll(PACKAGE_PATH)) {
      if (name !== ownName)
        problems.push(`${where}: names another package's files by path: packages/${name}/`);
    }
  });
}
// Workspace packages and their @ferry/* dependencies of every kind.
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifests = new Map();
for (const workspace of rootManifest.workspaces ?? []) {
  const manifest = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8'));
  manifests.set(manifest.name, { workspace, manifest });
}
const edges = new Map();
for (const [name, { manifest }] of manifests) {
  const kinds = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
  edges.set(
    name,
    [...new Set(kinds.flatMap((k) => Object.keys(manifest[k] ?? {})))].filter((d) => manifests.has(d)),
  );
}
const state = new Map(); // name -> 'visiting' | 'done'
const visit = (name, path) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'visiting') {
    const cycle = [...path.slice(path.indexOf(name)), name];
    problems.push(`package cycle (dependencies + devDependencies): ${cycle.join(' -> ')}`);
    return;
  }
  state.set(name, 'visiting');
  for (const dep of edges.get(name)) visit(dep, [...path, name]);
  state.set(name, 'done');
};
for (const name of manifests.keys()) visit(name, []);

if (problems.length) {
  process.stderr.write(
    `check-package-boundaries: ${problems.length} problem(s); import other packages by name (package.json exports):\n${problems.join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `check-package-boundaries: ${count} files, every import stays in its package or goes by name\n`,
);
