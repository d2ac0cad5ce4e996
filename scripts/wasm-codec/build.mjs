/**
 * The shared build of Ferry's committed codec wasm (packages/codec-* scripts/build-wasm.mjs each
 * pass a recipe): pinned Debian source fetched with `apt-get source`, its tarballs checked
 * against their sha256, copied to a fresh build/ tree and patched there (Debian's own
 * debian/patches series first, when the recipe names the Debian tarball, then the package's
 * patches/*.patch), compiled by the recipe's step, linked with native/*.c by emcc, and written to
 * wasm/ with the decoder id file and wasm/PROVENANCE.json. `npm install` never runs this: the
 * built files are committed, and the build is reproducible (a copy of the package at another
 * path gives the same bytes), so CI rebuilds them and compares (--check).
 *
 *   node scripts/build-wasm.mjs            rebuild wasm/ (after changing native/ or patches/)
 *   node scripts/build-wasm.mjs --check    rebuild into build/ and fail unless the bytes equal
 *                                          the committed wasm/ (CI)
 *   --fetch                                fetch the source first with `apt-get source` (needs a
 *                                          deb-src entry for the host's Debian release)
 *
 * A recipe (every path relative to the package unless absolute):
 *
 *   name          log prefix, e.g. 'codec-webp'
 *   packageDir    absolute path of the codec package
 *   update        the command that rebuilds, for messages ('npm run build:wasm -w ... -- --fetch')
 *   source        the pinned source:
 *     key         its PROVENANCE.json key ('libwebp')
 *     version     upstream version, recorded ('1.2.4')
 *     apt         what `apt-get source --download-only` gets ('libwebp=1.2.4-0.2+deb12u1')
 *     tarball     the orig tarball's file name, and sha256: its sha256
 *     dir         the directory it unpacks to ('libwebp-1.2.4'), and marker: a file in it
 *     env         optional: a variable naming an unpacked source to use instead of vendor/
 *     debian      optional { tarball, sha256 }: the Debian tarball whose debian/patches/series
 *                 is applied before the package's own patches
 *   compile       (ctx) => { link, includes?, provenance? } or a promise of it: builds the
 *                 library from ctx.source (the patched copy) in ctx.work (see Context below);
 *                 `link` lists the objects/archives to link, `includes` the -I directories for
 *                 native/*.c, `provenance` extra PROVENANCE.json fields (e.g. { cmakeFlags })
 *   nativeFlags   optional extra emcc flags for native/*.c (e.g. ['-DNDEBUG'])
 *   emccFlags     the link flags, recorded as they are (plus --pre-js pre.js, which every codec's glue
 *                 gets: it takes the compiled module as `wasmModule`)
 *   exports       optional: the exported C functions ('_name'); they become
 *                 -sEXPORTED_FUNCTIONS=..., placed before -sEXPORTED_RUNTIME_METHODS= when the
 *                 flags have one, else last (leave it out when emccFlags already list them)
 *   output        base name of the outputs ('ferry-webp': ferry-webp.wasm, .js, -id.js)
 *   idExport      the id file's export ('WEBP_DECODER_ID')
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, relative as relativePath } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pre-js linked into every codec's glue (pre.js beside this file). */
const PRE_JS = join(dirname(fileURLToPath(import.meta.url)), 'pre.js');

/**
 * What a recipe's compile step gets.
 * @typedef {object} Context
 * @property {string} source   the patched copy of the source (build/src)
 * @property {string} work     the build directory (build/), fresh for every build
 * @property {(command: string, args: string[], cwd: string) => void} run   runs a tool, fails the build on error
 * @property {(jobs: [string, string[], string][]) => Promise<void>} runAll  runs several at once
 * @property {string | undefined} toolchainFile  emscripten's Emscripten.cmake, for cmake builds
 * @property {(message: string) => void} log
 * @property {(message: string) => never} fail
 */

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Builds (or with --check, rebuilds and compares) one codec's wasm/ from its recipe. */
export async function buildWasmCodec(recipe, argv = process.argv.slice(2)) {
  const args = new Set(argv);
  const check = args.has('--check');
  const pkg = recipe.packageDir;
  const vendor = join(pkg, 'vendor');
  const committed = join(pkg, 'wasm');
  const work = join(pkg, 'build');
  const { source: pinned, output, update } = recipe;
  const outputs = [`${output}.wasm`, `${output}.js`, `${output}-id.js`, 'PROVENANCE.json'];

  const log = (message) => console.log(`${recipe.name}: ${message}`);
  const fail = (message) => {
    console.error(`${recipe.name}: ${message}`);
    process.exit(1);
  };

  // Debian's emscripten runs its JS tools with the system node, which must see Debian's acorn.
  const env = {
    ...process.env,
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: for emcc's own node; turbo never runs this build
    NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':'),
  };
  const describe = (command, commandArgs) =>
    `${command} ${commandArgs.map((arg) => (arg.startsWith(`${pkg}/`) ? arg.slice(pkg.length + 1) : arg)).join(' ')}`;
  const run = (command, commandArgs, cwd) => {
    log(describe(command, commandArgs));
    const result = spawnSync(command, commandArgs, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) fail(`${command} failed (exit ${result.status})`);
  };
  const runAll = async (jobs) => {
    const queue = [...jobs];
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const [command, commandArgs, cwd] = job;
        log(describe(command, commandArgs));
        const status = await new Promise((done) =>
          spawn(command, commandArgs, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] }).on('close', done),
        );
        if (status !== 0) fail(`${command} failed (exit ${status})`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  };

  // ---- the pinned source: apt-get source, sha256, unpack ----
  const verified = (file, expected) => {
    const sha = sha256(file);
    if (sha !== expected) fail(`${file} has sha256 ${sha}, expected ${expected}`);
    return file;
  };
  const fetchSource = () => {
    if (!has('apt-get')) fail('--fetch needs apt-get (Debian/Ubuntu)');
    mkdirSync(vendor, { recursive: true });
    const result = spawnSync('apt-get', ['source', '--download-only', pinned.apt], {
      cwd: vendor,
      stdio: 'inherit',
    });
    if (result.status !== 0)
      fail(`apt-get source ${pinned.apt} failed (is a deb-src entry configured? see README)`);
  };
  const wanted = [pinned.tarball, ...(pinned.debian ? [pinned.debian.tarball] : [])];
  const fromEnv = pinned.env ? process.env[pinned.env] : undefined;
  if (args.has('--fetch') && wanted.some((name) => !existsSync(join(vendor, name)))) fetchSource();
  let source = fromEnv;
  if (!source && existsSync(join(vendor, pinned.tarball))) {
    verified(join(vendor, pinned.tarball), pinned.sha256);
    source = join(vendor, pinned.dir);
    if (!existsSync(join(source, pinned.marker)))
      execFileSync('tar', ['xf', join(vendor, pinned.tarball), '--no-same-owner', '-C', vendor]);
  }
  if (!source || !existsSync(join(source, pinned.marker)))
    fail(`${pinned.key} ${pinned.version} source not found (run \`${update}\`)`);
  let debianDir;
  if (pinned.debian) {
    const tarball = join(vendor, pinned.debian.tarball);
    if (!existsSync(tarball)) fail(`${pinned.debian.tarball} not found (run \`${update}\`)`);
    verified(tarball, pinned.debian.sha256);
    // Unpacked beside the source, never into it: the tree that is patched is build/src.
    debianDir = join(vendor, pinned.debian.tarball.replace(/\.tar\.\w+$/, ''));
    rmSync(debianDir, { recursive: true, force: true });
    mkdirSync(debianDir, { recursive: true });
    execFileSync('tar', ['xf', tarball, '--no-same-owner', '-C', debianDir]);
  }
  if (!has('emcc')) fail('emcc not found (Debian: apt-get install emscripten cmake patch)');

  // ---- patches: Debian's series in order, then patches/*.patch sorted ----
  const debianPatches = [];
  if (debianDir) {
    const series = join(debianDir, 'debian/patches/series');
    const lines = existsSync(series) ? readFileSync(series, 'utf8').split('\n') : [];
    for (const line of lines.map((text) => text.replace(/#.*/, '').trim()).filter(Boolean)) {
      const [name, level = '-p1'] = line.split(/\s+/);
      debianPatches.push({
        file: `debian/patches/${name}`,
        path: join(debianDir, 'debian/patches', name),
        level,
      });
    }
  }
  const patchDir = join(pkg, 'patches');
  const patches = existsSync(patchDir)
    ? readdirSync(patchDir)
        .filter((name) => name.endsWith('.patch'))
        .sort()
        .map((name) => join(patchDir, name))
    : [];
  if (debianPatches.length + patches.length > 0 && !has('patch'))
    fail('`patch` not found (Debian: apt-get install patch)');
  const nativeFiles = readdirSync(join(pkg, 'native'))
    .sort()
    .map((name) => join(pkg, 'native', name));
  const wrappers = nativeFiles.filter((file) => file.endsWith('.c'));

  // Always from a fresh patched copy and a fresh build tree: nothing of an earlier build is
  // reused, so what CI compares is what the pinned source and these files make.
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const patched = join(work, 'src');
  execFileSync('cp', ['-R', source, patched]);
  for (const { path, level } of debianPatches)
    run('patch', [level, '--forward', '--batch', '-i', path], patched);
  for (const patch of patches) run('patch', ['-p1', '--forward', '--batch', '-i', patch], patched);

  const emccDir = execFileSync('sh', ['-c', 'dirname "$(readlink -f "$(command -v emcc)")"'], {
    encoding: 'utf8',
  }).trim();
  const toolchainFile = [
    join(emccDir, 'cmake/Modules/Platform/Emscripten.cmake'),
    '/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake',
  ].find(existsSync);
  const built = await recipe.compile({ source: patched, work, run, runAll, toolchainFile, log, fail });

  // ---- link ----
  const emccFlags = [...recipe.emccFlags];
  if (recipe.exports) {
    const flag = `-sEXPORTED_FUNCTIONS=${recipe.exports.join(',')}`;
    const at = emccFlags.findIndex((f) => f.startsWith('-sEXPORTED_RUNTIME_METHODS='));
    emccFlags.splice(at < 0 ? emccFlags.length : at, 0, flag);
  }
  const link = join(work, 'link');
  mkdirSync(link, { recursive: true });
  const absolute = (file) => (isAbsolute(file) ? file : join(work, file));
  // The shared pre-js (how every codec's glue is handed its module), by a path relative to the
  // build tree, so nothing of this machine's paths reaches the recorded flags.
  emccFlags.push('--pre-js', relativePath(work, PRE_JS));
  run(
    'emcc',
    [
      ...emccFlags,
      ...(recipe.nativeFlags ?? []),
      ...wrappers,
      ...(built.includes ?? []).map((dir) => `-I${absolute(dir)}`),
      ...built.link.map(absolute),
      '-o',
      join(link, `${output}.js`),
    ],
    work,
  );

  // ---- PROVENANCE.json and the id file ----
  const emccVersion = execFileSync('emcc', ['--version'], { env, encoding: 'utf8' }).split('\n')[0];
  const relative = (file) => file.slice(pkg.length + 1);
  const provenance = {
    note: `Written by scripts/build-wasm.mjs; rebuild with \`${update}\`, never by hand.`,
    [pinned.key]: {
      version: pinned.version,
      source: pinned.tarball,
      sha256: pinned.sha256,
      ...(pinned.debian
        ? { debian: { package: pinned.apt, source: pinned.debian.tarball, sha256: pinned.debian.sha256 } }
        : {}),
    },
    ...(pinned.debian
      ? { debianPatches: debianPatches.map(({ file, path }) => ({ file, sha256: sha256(path) })) }
      : {}),
    patches: patches.map((file) => ({ file: relative(file), sha256: sha256(file) })),
    native: nativeFiles.map((file) => ({ file: relative(file), sha256: sha256(file) })),
    preJs: { file: 'scripts/wasm-codec/pre.js', sha256: sha256(PRE_JS) },
    emcc: emccVersion,
    ...(built.provenance ?? {}),
    ...(recipe.nativeFlags ? { nativeFlags: recipe.nativeFlags } : {}),
    emccFlags,
    outputs: Object.fromEntries(
      [`${output}.wasm`, `${output}.js`].map((name) => [name, { sha256: sha256(join(link, name)) }]),
    ),
  };
  writeFileSync(join(link, 'PROVENANCE.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  // The decoder's identity for caches of decoded pixels, importable in every runtime (no file reads).
  writeFileSync(
    join(link, `${output}-id.js`),
    `// Written by scripts/build-wasm.mjs: the sha256 of ${output}.wasm, for cache keys.\nexport const ${recipe.idExport} =\n  '${output}.wasm@${provenance.outputs[`${output}.wasm`].sha256}';\n`,
  );

  if (check) {
    const differ = outputs.filter(
      (name) =>
        !existsSync(join(committed, name)) || sha256(join(committed, name)) !== sha256(join(link, name)),
    );
    if (differ.length > 0) {
      for (const name of differ) {
        const was = existsSync(join(committed, name)) ? sha256(join(committed, name)) : 'missing';
        console.error(`${recipe.name}: wasm/${name}: committed ${was}, rebuilt ${sha256(join(link, name))}`);
      }
      fail(
        `the rebuilt wasm differs from the committed wasm/ (${differ.join(', ')}). If you changed ` +
          `native/ or patches/, run \`${update}\` and commit wasm/; otherwise the toolchain ` +
          `differs from the one in wasm/PROVENANCE.json (${emccVersion} here).`,
      );
    }
    log(`rebuilt wasm/ is byte-identical to the committed files (${outputs.join(', ')})`);
  } else {
    mkdirSync(committed, { recursive: true });
    for (const name of outputs) {
      renameSync(join(link, name), join(committed, name));
      chmodSync(join(committed, name), 0o644); // emcc marks the .wasm executable; it is data
    }
    log(
      `wrote wasm/${output}.wasm (sha256 ${provenance.outputs[`${output}.wasm`].sha256}) with ${emccVersion}`,
    );
    log(`commit wasm/ (${outputs.join(', ')}); CI rebuilds it and compares bytes`);
  }
  rmSync(link, { recursive: true, force: true });
}
