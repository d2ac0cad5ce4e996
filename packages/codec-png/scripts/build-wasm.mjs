#!/usr/bin/env node
/**
 * Rebuilds the committed wasm/ferry-png.{js,wasm}: zlib 1.2.13's inflate (Debian bookworm's
 * source) plus native/*.c (PNG's row filters), compiled with emscripten, and
 * wasm/PROVENANCE.json. The steps every codec shares (apt-get source, sha256, patching, linking,
 * --check) are scripts/wasm-codec/build.mjs at the repository root; this file is the recipe.
 *
 *   node scripts/build-wasm.mjs            rebuild wasm/ (after changing native/ or this recipe)
 *   node scripts/build-wasm.mjs --check    rebuild into build/ and fail unless the bytes equal
 *                                          the committed wasm/ (CI)
 *   --fetch                                fetch the source first with `apt-get source`
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasmCodec } from '../../../scripts/wasm-codec/build.mjs';

/** What inflate needs of zlib (crc32.c for inflate's gzip path, which PNG never takes). */
const ZLIB_SOURCES = ['adler32.c', 'crc32.c', 'inffast.c', 'inflate.c', 'inftrees.c', 'zutil.c'];

/** Compiled from the source root with relative paths: no path of this machine in the output. */
const CFLAGS = ['-O3', '-DNDEBUG', '-I.'];

await buildWasmCodec({
  name: 'codec-png',
  packageDir: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  update: 'npm run build:wasm -w @ferry/codec-png -- --fetch',
  source: {
    key: 'zlib',
    version: '1.2.13',
    apt: 'zlib=1:1.2.13.dfsg-1',
    // Debian bookworm's zlib_1.2.13.dfsg.orig.tar.bz2 (upstream 1.2.13 less its contrib/ binaries).
    tarball: 'zlib_1.2.13.dfsg.orig.tar.bz2',
    sha256: '71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1',
    dir: 'zlib-1.2.13.dfsg',
    marker: 'inflate.c',
    env: 'FERRY_ZLIB_SRC',
  },
  async compile({ source, work, runAll }) {
    const objects = join(work, 'obj');
    mkdirSync(objects, { recursive: true });
    const object = (file) => join(objects, file.replace(/\.c$/, '.o'));
    await runAll(ZLIB_SOURCES.map((file) => ['emcc', [...CFLAGS, '-c', file, '-o', object(file)], source]));
    return { link: ZLIB_SOURCES.map(object), includes: [source], provenance: { cflags: CFLAGS } };
  },
  nativeFlags: ['-DNDEBUG'],
  emccFlags: [
    '-O3',
    '-sMODULARIZE=1',
    '-sEXPORT_ES6=1',
    '-sEXPORT_NAME=createFerryPng',
    // Every runtime hands over a compiled WebAssembly.Module through instantiateWasm, so the glue
    // never fetches or reads files itself (workerd cannot compile wasm from bytes at all).
    '-sENVIRONMENT=web',
    '-sFILESYSTEM=0',
    '-sALLOW_MEMORY_GROWTH=1',
    '-sINITIAL_MEMORY=1MB',
    '-sTOTAL_STACK=64KB',
    // The C wrappers' messages are C strings: the runtime's own reader.
    '-sEXPORTED_RUNTIME_METHODS=[UTF8ToString]',
    // locateFile: without it the glue evaluates new URL(..., import.meta.url), which throws in workerd.
    '-sINCOMING_MODULE_JS_API=[instantiateWasm,locateFile,print,printErr]',
  ],
  exports: [
    '_ferry_png_message',
    '_ferry_png_start',
    '_ferry_png_input',
    '_ferry_png_feed',
    '_ferry_png_next_row',
    '_ferry_png_end',
  ],
  output: 'ferry-png',
  idExport: 'PNG_DECODER_ID',
});
