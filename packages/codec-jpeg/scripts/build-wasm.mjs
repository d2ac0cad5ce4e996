#!/usr/bin/env node
/**
 * Builds wasm/ferry-jpeg.{js,wasm}: libjpeg-turbo 2.1.5's TurboJPEG API (with DCT-domain scaling)
 * plus native/ferry_jpeg.c, compiled with emscripten. Run by `npm install` (this package's
 * `build`) and by .ci/run; the outputs are build artifacts and never committed.
 *
 *   node scripts/build-wasm.mjs            build if emcc and the source are here, else say why
 *   node scripts/build-wasm.mjs --fetch    also fetch the source with `apt-get source` (Debian,
 *                                          needs a deb-src entry; see README)
 *   node scripts/build-wasm.mjs --require  fail instead of falling back (CI)
 *
 * Source: $FERRY_LIBJPEG_TURBO_SRC (an unpacked libjpeg-turbo-2.1.5), else vendor/ in this
 * package. It is copied to build/ and patched there with patches/*.patch (faster Huffman
 * decoding for wasm; the pixels are the same, see the patch), never edited in place. Without emcc or the source the package still builds: wasm/ferry-jpeg.js becomes a
 * stub that says "not built", and every runtime keeps its previous full-size JPEG decoder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '2.1.5';
// Debian bookworm's libjpeg-turbo_2.1.5.orig.tar.gz (identical to the upstream 2.1.5 release).
const ORIG_SHA256 = '254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c';
const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(pkg, 'vendor');
const out = join(pkg, 'wasm');
const work = join(pkg, 'build');
const args = new Set(process.argv.slice(2));
const required = args.has('--require') || process.env.FERRY_REQUIRE_JPEG_WASM === '1';

const EXPORTS = [
  '_ferry_jpeg_input',
  '_ferry_jpeg_info',
  '_ferry_jpeg_message',
  '_ferry_jpeg_header',
  '_ferry_jpeg_decode_scaled',
  '_ferry_jpeg_release',
  // Two-thread decoding of one JPEG (native/ferry_jpeg_split.c).
  '_ferry_jpeg_split_speculate',
  '_ferry_jpeg_split_result',
  '_ferry_jpeg_split_begin',
  '_ferry_jpeg_split_area',
  '_ferry_jpeg_split_records',
  '_ferry_jpeg_split_finish',
  '_ferry_jpeg_split_stats',
];

function log(message) {
  console.log(`codec-jpeg: ${message}`);
}

function writeStub(reason) {
  mkdirSync(out, { recursive: true });
  rmSync(join(out, 'ferry-jpeg.wasm'), { force: true });
  writeFileSync(
    join(out, 'ferry-jpeg.js'),
    `// Not built: ${reason}\n// See packages/codec-jpeg/README.md. Runtimes fall back to full-size JPEG decoding.\nexport const notBuilt = ${JSON.stringify(reason)};\nexport default undefined;\n`,
  );
  writeWorkersModule(false);
}

/**
 * The two ways runtimes reach the .wasm, or `undefined` when it is not built:
 * wasm/workers-module.js for wrangler's CompiledWasm rule, wasm/wasm-url.js for bundlers (Vite
 * copies the file it names into the site).
 */
function writeWorkersModule(built) {
  writeFileSync(
    join(out, 'workers-module.js'),
    built
      ? "import module from './ferry-jpeg.wasm';\nexport default module;\n"
      : 'export default undefined;\n',
  );
  writeFileSync(
    join(out, 'wasm-url.js'),
    built
      ? "export default new URL('./ferry-jpeg.wasm', import.meta.url).href;\n"
      : 'export default undefined;\n',
  );
}

function giveUp(reason) {
  if (required) {
    console.error(`codec-jpeg: ${reason}`);
    process.exit(1);
  }
  log(`${reason} — JPEGs decode at full size (no DCT scaling); see packages/codec-jpeg/README.md`);
  writeStub(reason);
  process.exit(0);
}

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

function fetchSource() {
  if (!has('apt-get')) giveUp('--fetch needs apt-get (Debian/Ubuntu)');
  mkdirSync(vendor, { recursive: true });
  const result = spawnSync('apt-get', ['source', '--download-only', `libjpeg-turbo=1:${VERSION}-2`], {
    cwd: vendor,
    stdio: 'inherit',
  });
  if (result.status !== 0) giveUp('apt-get source libjpeg-turbo failed (is a deb-src entry configured?)');
}

function unpackSource() {
  const tarball = join(vendor, `libjpeg-turbo_${VERSION}.orig.tar.gz`);
  if (!existsSync(tarball)) return undefined;
  const sha = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  if (sha !== ORIG_SHA256) giveUp(`${tarball} has sha256 ${sha}, expected ${ORIG_SHA256}`);
  const dir = join(vendor, `libjpeg-turbo-${VERSION}`);
  if (!existsSync(join(dir, 'turbojpeg.h'))) execFileSync('tar', ['xzf', tarball, '-C', vendor]);
  return dir;
}

let source = process.env.FERRY_LIBJPEG_TURBO_SRC;
if (!source) {
  if (args.has('--fetch') && !existsSync(join(vendor, `libjpeg-turbo_${VERSION}.orig.tar.gz`))) fetchSource();
  source = unpackSource();
}
if (!source || !existsSync(join(source, 'turbojpeg.h')))
  giveUp(
    `libjpeg-turbo ${VERSION} source not found (run \`npm run build:wasm -w @ferry/codec-jpeg -- --fetch\`)`,
  );
if (!has('emcc')) giveUp('emcc not found (Debian: apt-get install emscripten)');

// The patches, in name order, and a key for what they make: a change to any of them rebuilds.
const patchDir = join(pkg, 'patches');
const patches = existsSync(patchDir)
  ? readdirSync(patchDir)
      .filter((name) => name.endsWith('.patch'))
      .sort()
      .map((name) => join(patchDir, name))
  : [];
const patchKey = createHash('sha256');
for (const patch of patches) patchKey.update(readFileSync(patch));
const buildKey = patchKey.digest('hex').slice(0, 12);
if (patches.length > 0 && !has('patch')) giveUp('`patch` not found (Debian: apt-get install patch)');

const nativeDir = join(pkg, 'native');
const nativeFiles = readdirSync(nativeDir).map((name) => join(nativeDir, name));
const wrappers = nativeFiles.filter((file) => file.endsWith('.c'));
const wasm = join(out, 'ferry-jpeg.wasm');
const glue = join(out, 'ferry-jpeg.js');
const newest = Math.max(
  ...nativeFiles.map((file) => statSync(file).mtimeMs),
  statSync(fileURLToPath(import.meta.url)).mtimeMs,
  ...patches.map((patch) => statSync(patch).mtimeMs),
);
if (existsSync(wasm) && existsSync(glue) && statSync(wasm).mtimeMs > newest && !args.has('--force')) {
  log('wasm/ferry-jpeg.wasm is up to date');
  writeWorkersModule(true);
  process.exit(0);
}

// Debian's emscripten runs its JS tools with the system node, which must see Debian's acorn.
const env = {
  ...process.env,
  NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':'),
};
const run = (command, commandArgs, cwd = work) => {
  log(`${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    console.error(`codec-jpeg: ${command} failed (exit ${result.status})`);
    process.exit(1);
  }
};

// The patched copy of the source and its cmake build, both named by the patches' key, so a
// build from other patches (or none) is never reused by mistake.
const patched = join(work, `src-${buildKey}`);
if (!existsSync(join(patched, '.ferry-patched'))) {
  rmSync(patched, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync('cp', ['-R', source, patched]);
  for (const patch of patches) run('patch', ['-p1', '--forward', '--batch', '-i', patch], patched);
  writeFileSync(join(patched, '.ferry-patched'), `${patches.map((p) => p.split('/').pop()).join('\n')}\n`);
}
source = patched;
const cmakeDir = join(work, `cmake-${buildKey}`);
mkdirSync(cmakeDir, { recursive: true });
if (!existsSync(join(cmakeDir, 'libturbojpeg.a'))) {
  const emccDir = dirname(
    execFileSync('sh', ['-c', 'readlink -f "$(command -v emcc)"'], { encoding: 'utf8' }).trim(),
  );
  const toolchainFile = [
    join(emccDir, 'cmake/Modules/Platform/Emscripten.cmake'),
    '/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake',
  ].find(existsSync);
  if (!toolchainFile) giveUp('cannot find Emscripten.cmake next to emcc');
  run(
    'cmake',
    [
      source,
      `-DCMAKE_TOOLCHAIN_FILE=${toolchainFile}`,
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
    ],
    cmakeDir,
  );
  run('cmake', ['--build', '.', '--target', 'turbojpeg-static', '--', '-j2'], cmakeDir);
}

mkdirSync(out, { recursive: true });
const tmp = join(work, 'link');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
run('emcc', [
  '-O3',
  ...wrappers,
  `-I${source}`,
  `-I${cmakeDir}`,
  join(cmakeDir, 'libturbojpeg.a'),
  '-o',
  join(tmp, 'ferry-jpeg.js'),
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
]);
// The stub's `notBuilt` export, so importers need not care which file they got.
writeFileSync(
  join(tmp, 'ferry-jpeg.js'),
  `${readFileSync(join(tmp, 'ferry-jpeg.js'), 'utf8')}\nexport const notBuilt = undefined;\n`,
);
// Replace both files together so a half-finished build never looks current.
renameSync(join(tmp, 'ferry-jpeg.wasm'), wasm);
renameSync(join(tmp, 'ferry-jpeg.js'), glue);
writeWorkersModule(true);
const emccVersion = execFileSync('emcc', ['--version'], { env, encoding: 'utf8' }).split('\n')[0];
writeFileSync(
  join(out, 'build-info.json'),
  `${JSON.stringify(
    {
      libjpegTurbo: VERSION,
      origSha256: ORIG_SHA256,
      patches: patches.map((patch) => patch.split('/').pop()),
      emcc: emccVersion,
      bytes: statSync(wasm).size,
    },
    null,
    2,
  )}\n`,
);
log(`built wasm/ferry-jpeg.wasm (${statSync(wasm).size} bytes) with ${emccVersion}`);
