#!/usr/bin/env node
/**
 * Rebuilds the committed wasm/ferry-jpeg.{js,wasm}: libjpeg-turbo 2.1.5's TurboJPEG API (with
 * DCT-domain scaling), patched by patches/*.patch, plus native/*.c, compiled with emscripten,
 * and wasm/PROVENANCE.json. The steps every codec shares (apt-get source, sha256, patching,
 * linking, --check) are scripts/wasm-codec/build.mjs at the repository root; this file is the
 * recipe.
 *
 *   node scripts/build-wasm.mjs            rebuild wasm/ (after changing native/ or patches/)
 *   node scripts/build-wasm.mjs --check    rebuild into build/ and fail unless the bytes equal
 *                                          the committed wasm/ (CI)
 *   --fetch                                fetch the source first with `apt-get source`
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasmCodec } from '../../../scripts/wasm-codec/build.mjs';

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

await buildWasmCodec({
  name: 'codec-jpeg',
  packageDir: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  update: 'npm run build:wasm -w @ferry/codec-jpeg -- --fetch',
  source: {
    key: 'libjpegTurbo',
    version: '2.1.5',
    apt: 'libjpeg-turbo=1:2.1.5-2',
    // Debian bookworm's libjpeg-turbo_2.1.5.orig.tar.gz (identical to the upstream 2.1.5 release).
    tarball: 'libjpeg-turbo_2.1.5.orig.tar.gz',
    sha256: '254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c',
    dir: 'libjpeg-turbo-2.1.5',
    marker: 'turbojpeg.h',
    env: 'FERRY_LIBJPEG_TURBO_SRC',
  },
  compile({ source, work, run, toolchainFile, fail }) {
    if (!toolchainFile) fail('cannot find Emscripten.cmake next to emcc');
    const cmakeDir = join(work, 'cmake');
    mkdirSync(cmakeDir, { recursive: true });
    run('cmake', [source, `-DCMAKE_TOOLCHAIN_FILE=${toolchainFile}`, ...CMAKE_FLAGS], cmakeDir);
    run('cmake', ['--build', '.', '--target', 'turbojpeg-static', '--', '-j2'], cmakeDir);
    return {
      link: [join(cmakeDir, 'libturbojpeg.a')],
      includes: [source, cmakeDir],
      provenance: { cmakeFlags: CMAKE_FLAGS },
    };
  },
  emccFlags: [
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
    // The C wrappers' messages are C strings: the runtime's own reader.
    '-sEXPORTED_RUNTIME_METHODS=[UTF8ToString]',
    // locateFile: without it the glue evaluates new URL(..., import.meta.url), which throws in workerd.
    '-sINCOMING_MODULE_JS_API=[instantiateWasm,locateFile,print,printErr]',
  ],
  exports: [
    '_ferry_jpeg_input',
    '_ferry_jpeg_info',
    '_ferry_jpeg_message',
    '_ferry_jpeg_header',
    '_ferry_jpeg_decode_scaled',
    '_ferry_jpeg_release',
  ],
  output: 'ferry-jpeg',
  idExport: 'JPEG_DECODER_ID',
});
