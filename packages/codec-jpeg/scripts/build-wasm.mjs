#!/usr/bin/env node
/**
 * Rebuilds the committed wasm/ferry-jpeg.{js,wasm}: libjpeg-turbo 2.1.5's TurboJPEG API (with
 * DCT-domain scaling) plus native/*.c, compiled with emscripten, and wasm/PROVENANCE.json, which
 * records what made them. `npm install` never runs this: the built files are committed, as
 * squoosh and jsquash ship their codecs, and the build is reproducible (two clones at different
 * paths give the same bytes), so CI rebuilds them and compares.
 *
 *   node scripts/build-wasm.mjs            rebuild wasm/ (after changing native/ or patches/)
 *   node scripts/build-wasm.mjs --check    rebuild into build/check/ and fail unless the bytes
 *                                          equal the committed wasm/ (CI)
 *   --fetch                                fetch the source first with `apt-get source` (Debian,
 *                                          needs a deb-src entry; see README)
 *
 * Needs emcc (Debian: apt-get install emscripten cmake patch) and the source:
 * $FERRY_LIBJPEG_TURBO_SRC (an unpacked libjpeg-turbo-2.1.5), else vendor/ in this package. The
 * source is copied to build/ and patched there with patches/*.patch, never edited in place.
 */
import { execFileSync, spawnSync } from 'node:child_process';
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
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '2.1.5';
const TARBALL = `libjpeg-turbo_${VERSION}.orig.tar.gz`;
// Debian bookworm's libjpeg-turbo_2.1.5.orig.tar.gz (identical to the upstream 2.1.5 release).
const ORIG_SHA256 = '254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c';
const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(pkg, 'vendor');
const committed = join(pkg, 'wasm');
const work = join(pkg, 'build');
const args = new Set(process.argv.slice(2));
const check = args.has('--check');
const UPDATE = 'npm run build:wasm -w @ferry/codec-jpeg -- --fetch';

const EXPORTS = [
  '_ferry_jpeg_input',
  '_ferry_jpeg_info',
  '_ferry_jpeg_message',
  '_ferry_jpeg_header',
  '_ferry_jpeg_decode_scaled',
  '_ferry_jpeg_release',
];

const CMAKE_FLAGS = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DCMAKE_C_FLAGS=-O3',
  '-DENABLE_SHARED=0',
  '-DENABLE_STATIC=1',
  '-DWITH_TURBOJPEG=1',
  '-DWITH_JAVA=0',
  // No wasm SIMD code in libjpeg-turbo 2.1.
  '-DWITH_SIMD=0',
  // CMake's type-size probes would run wasm under node; wasm32 is ILP32, so say it.
  '-DHAVE_SIZE_T=TRUE',
  '-DSIZE_T=4',
  '-DHAVE_UNSIGNED_LONG=TRUE',
  '-DUNSIGNED_LONG=4',
];

const EMCC_FLAGS = [
  '-O3',
  '-sMODULARIZE=1',
  '-sEXPORT_ES6=1',
  '-sEXPORT_NAME=createFerryJpeg',
  // Every runtime hands over a compiled WebAssembly.Module through instantiateWasm, so the glue
  // never fetches or reads files itself (workerd cannot compile wasm from bytes at all).
  '-sENVIRONMENT=web',
  '-sFILESYSTEM=0',
  '-sALLOW_MEMORY_GROWTH=1',
  '-sINITIAL_MEMORY=2MB',
  '-sTOTAL_STACK=256KB',
  `-sEXPORTED_FUNCTIONS=${EXPORTS.join(',')}`,
  '-sEXPORTED_RUNTIME_METHODS=[]',
  // locateFile: without it the glue evaluates new URL(..., import.meta.url), which throws in workerd.
  '-sINCOMING_MODULE_JS_API=[instantiateWasm,locateFile,print,printErr]',
];

/** The files the build writes and CI compares byte for byte. */
const OUTPUTS = ['ferry-jpeg.wasm', 'ferry-jpeg.js', 'ferry-jpeg-id.js', 'PROVENANCE.json'];

const log = (message) => console.log(`codec-jpeg: ${message}`);
function fail(message) {
  console.error(`codec-jpeg: ${message}`);
  process.exit(1);
}
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

function fetchSource() {
  if (!has('apt-get')) fail('--fetch needs apt-get (Debian/Ubuntu)');
  mkdirSync(vendor, { recursive: true });
  const result = spawnSync('apt-get', ['source', '--download-only', `libjpeg-turbo=1:${VERSION}-2`], {
    cwd: vendor,
    stdio: 'inherit',
  });
  if (result.status !== 0)
    fail('apt-get source libjpeg-turbo failed (is a deb-src entry configured? see README)');
}

function unpackSource() {
  const tarball = join(vendor, TARBALL);
  if (!existsSync(tarball)) return undefined;
  const sha = sha256(tarball);
  if (sha !== ORIG_SHA256) fail(`${tarball} has sha256 ${sha}, expected ${ORIG_SHA256}`);
  const dir = join(vendor, `libjpeg-turbo-${VERSION}`);
  if (!existsSync(join(dir, 'turbojpeg.h'))) execFileSync('tar', ['xzf', tarball, '-C', vendor]);
  return dir;
}

let source = process.env.FERRY_LIBJPEG_TURBO_SRC;
if (!source) {
  if (args.has('--fetch') && !existsSync(join(vendor, TARBALL))) fetchSource();
  source = unpackSource();
}
if (!source || !existsSync(join(source, 'turbojpeg.h')))
  fail(`libjpeg-turbo ${VERSION} source not found (run \`${UPDATE}\`)`);
if (!has('emcc')) fail('emcc not found (Debian: apt-get install emscripten cmake patch)');

const patches = readdirSync(join(pkg, 'patches'))
  .filter((name) => name.endsWith('.patch'))
  .sort()
  .map((name) => join(pkg, 'patches', name));
if (patches.length > 0 && !has('patch')) fail('`patch` not found (Debian: apt-get install patch)');
const nativeFiles = readdirSync(join(pkg, 'native'))
  .sort()
  .map((name) => join(pkg, 'native', name));
const wrappers = nativeFiles.filter((file) => file.endsWith('.c'));

// Debian's emscripten runs its JS tools with the system node, which must see Debian's acorn.
const env = {
  ...process.env,
  NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':'),
};
const run = (command, commandArgs, cwd) => {
  log(`${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) fail(`${command} failed (exit ${result.status})`);
};

// Always from a fresh patched copy and a fresh cmake tree: nothing of an earlier build is reused,
// so what CI compares is what the pinned source and these files make.
rmSync(work, { recursive: true, force: true });
const patched = join(work, 'src');
const cmakeDir = join(work, 'cmake');
mkdirSync(cmakeDir, { recursive: true });
execFileSync('cp', ['-R', source, patched]);
for (const patch of patches) run('patch', ['-p1', '--forward', '--batch', '-i', patch], patched);

const emccDir = dirname(
  execFileSync('sh', ['-c', 'readlink -f "$(command -v emcc)"'], { encoding: 'utf8' }).trim(),
);
const toolchainFile = [
  join(emccDir, 'cmake/Modules/Platform/Emscripten.cmake'),
  '/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake',
].find(existsSync);
if (!toolchainFile) fail('cannot find Emscripten.cmake next to emcc');
run('cmake', [patched, `-DCMAKE_TOOLCHAIN_FILE=${toolchainFile}`, ...CMAKE_FLAGS], cmakeDir);
run('cmake', ['--build', '.', '--target', 'turbojpeg-static', '--', '-j2'], cmakeDir);

const link = join(work, 'link');
mkdirSync(link, { recursive: true });
run(
  'emcc',
  [
    ...EMCC_FLAGS,
    ...wrappers,
    `-I${patched}`,
    `-I${cmakeDir}`,
    join(cmakeDir, 'libturbojpeg.a'),
    '-o',
    join(link, 'ferry-jpeg.js'),
  ],
  work,
);

const emccVersion = execFileSync('emcc', ['--version'], { env, encoding: 'utf8' }).split('\n')[0];
const relative = (file) => file.slice(pkg.length + 1);
const provenance = {
  note: `Written by scripts/build-wasm.mjs; rebuild with \`${UPDATE}\`, never by hand.`,
  libjpegTurbo: { version: VERSION, source: TARBALL, sha256: ORIG_SHA256 },
  patches: patches.map((file) => ({ file: relative(file), sha256: sha256(file) })),
  native: nativeFiles.map((file) => ({ file: relative(file), sha256: sha256(file) })),
  emcc: emccVersion,
  cmakeFlags: CMAKE_FLAGS,
  emccFlags: EMCC_FLAGS,
  outputs: Object.fromEntries(
    ['ferry-jpeg.wasm', 'ferry-jpeg.js'].map((name) => [name, { sha256: sha256(join(link, name)) }]),
  ),
};
writeFileSync(join(link, 'PROVENANCE.json'), `${JSON.stringify(provenance, null, 2)}\n`);
// The decoder's identity for caches of decoded pixels, importable in every runtime (no file reads).
writeFileSync(
  join(link, 'ferry-jpeg-id.js'),
  `// Written by scripts/build-wasm.mjs: the sha256 of ferry-jpeg.wasm, for cache keys.\nexport const JPEG_DECODER_ID =\n  'ferry-jpeg.wasm@${provenance.outputs['ferry-jpeg.wasm'].sha256}';\n`,
);

if (check) {
  const differ = OUTPUTS.filter(
    (name) =>
      !existsSync(join(committed, name)) || sha256(join(committed, name)) !== sha256(join(link, name)),
  );
  if (differ.length > 0) {
    for (const name of differ) {
      const was = existsSync(join(committed, name)) ? sha256(join(committed, name)) : 'missing';
      console.error(`codec-jpeg: wasm/${name}: committed ${was}, rebuilt ${sha256(join(link, name))}`);
    }
    fail(
      `the rebuilt wasm differs from the committed wasm/ (${differ.join(', ')}). If you changed ` +
        `native/ or patches/, run \`${UPDATE}\` and commit wasm/; otherwise the toolchain ` +
        `differs from the one in wasm/PROVENANCE.json (${emccVersion} here).`,
    );
  }
  log(`rebuilt wasm/ is byte-identical to the committed files (${OUTPUTS.join(', ')})`);
} else {
  for (const name of OUTPUTS) {
    renameSync(join(link, name), join(committed, name));
    chmodSync(join(committed, name), 0o644); // emcc marks the .wasm executable; it is data
  }
  log(
    `wrote wasm/ferry-jpeg.wasm (sha256 ${provenance.outputs['ferry-jpeg.wasm'].sha256}) with ${emccVersion}`,
  );
  log(`commit wasm/ (${OUTPUTS.join(', ')}); CI rebuilds it and compares bytes`);
}
rmSync(link, { recursive: true, force: true });
