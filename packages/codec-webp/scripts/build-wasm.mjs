#!/usr/bin/env node
/**
 * Rebuilds the committed wasm/ferry-webp.{js,wasm}: libwebp 1.2.4's decoder (Debian bookworm's
 * source with Debian's patches, which fix CVE-2023-4863 in the lossless Huffman tables) plus
 * native/*.c, compiled with emscripten, and wasm/PROVENANCE.json. The steps every codec shares
 * (apt-get source, sha256, patching, linking, --check) are scripts/wasm-codec/build.mjs at the
 * repository root; this file is the recipe.
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

/** libwebp's decoder and demuxer: makefile.unix's DEC_OBJS, DSP_DEC_OBJS, UTILS_DEC_OBJS and
 * src/demux/demux.c, without the files for other CPUs (SSE2, NEON, MIPS: empty in wasm). */
const LIBWEBP_SOURCES = [
  'src/dec/alpha_dec.c',
  'src/dec/buffer_dec.c',
  'src/dec/frame_dec.c',
  'src/dec/idec_dec.c',
  'src/dec/io_dec.c',
  'src/dec/quant_dec.c',
  'src/dec/tree_dec.c',
  'src/dec/vp8_dec.c',
  'src/dec/vp8l_dec.c',
  'src/dec/webp_dec.c',
  'src/demux/demux.c',
  'src/dsp/alpha_processing.c',
  'src/dsp/cpu.c',
  'src/dsp/dec.c',
  'src/dsp/dec_clip_tables.c',
  'src/dsp/filters.c',
  'src/dsp/lossless.c',
  'src/dsp/rescaler.c',
  'src/dsp/upsampling.c',
  'src/dsp/yuv.c',
  'src/utils/bit_reader_utils.c',
  'src/utils/color_cache_utils.c',
  'src/utils/filters_utils.c',
  'src/utils/huffman_utils.c',
  'src/utils/quant_levels_dec_utils.c',
  'src/utils/random_utils.c',
  'src/utils/rescaler_utils.c',
  'src/utils/thread_utils.c',
  'src/utils/utils.c',
];

/** Compiled from the source root with relative paths and NDEBUG: no path of this machine in the output. */
const CFLAGS = ['-O3', '-DNDEBUG', '-I.'];

await buildWasmCodec({
  name: 'codec-webp',
  packageDir: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  update: 'npm run build:wasm -w @ferry/codec-webp -- --fetch',
  source: {
    key: 'libwebp',
    version: '1.2.4',
    apt: 'libwebp=1.2.4-0.2+deb12u1',
    // Debian bookworm's libwebp_1.2.4.orig.tar.gz (the upstream 1.2.4 release).
    tarball: 'libwebp_1.2.4.orig.tar.gz',
    sha256: '7bf5a8a28cc69bcfa8cb214f2c3095703c6b73ac5fba4d5480c205331d9494df',
    dir: 'libwebp-1.2.4',
    marker: 'src/webp/decode.h',
    env: 'FERRY_LIBWEBP_SRC',
    debian: {
      tarball: 'libwebp_1.2.4-0.2+deb12u1.debian.tar.xz',
      sha256: '69cdba4dfe2e1b34d55fa80c1b29c31cacd40dd183812d6bcca7e508a2f7afcd',
    },
  },
  async compile({ source, work, runAll }) {
    const objects = join(work, 'obj');
    mkdirSync(objects, { recursive: true });
    const object = (file) => join(objects, file.replaceAll('/', '_').replace(/\.c$/, '.o'));
    await runAll(
      LIBWEBP_SOURCES.map((file) => ['emcc', [...CFLAGS, '-c', file, '-o', object(file)], source]),
    );
    return { link: LIBWEBP_SOURCES.map(object), includes: [source], provenance: { cflags: CFLAGS } };
  },
  nativeFlags: ['-DNDEBUG'],
  emccFlags: [
    '-O3',
    '-sMODULARIZE=1',
    '-sEXPORT_ES6=1',
    '-sEXPORT_NAME=createFerryWebp',
    // Every runtime hands over a compiled WebAssembly.Module through instantiateWasm, so the glue
    // never fetches or reads files itself (workerd cannot compile wasm from bytes at all).
    '-sENVIRONMENT=web',
    '-sFILESYSTEM=0',
    '-sALLOW_MEMORY_GROWTH=1',
    // Grow to what malloc asks for, not 20% more: a lossless frame's buffers are tens of MB, and
    // the Workers isolate counts every byte of wasm memory.
    '-sMEMORY_GROWTH_GEOMETRIC_STEP=0',
    '-sINITIAL_MEMORY=2MB',
    '-sTOTAL_STACK=256KB',
    // The C wrappers' messages are C strings: the runtime's own reader.
    '-sEXPORTED_RUNTIME_METHODS=[UTF8ToString]',
    // locateFile: without it the glue evaluates new URL(..., import.meta.url), which throws in workerd.
    '-sINCOMING_MODULE_JS_API=[instantiateWasm,locateFile,print,printErr]',
  ],
  exports: [
    '_ferry_webp_input',
    '_ferry_webp_info',
    '_ferry_webp_message',
    '_ferry_webp_header',
    '_ferry_webp_decode',
    '_ferry_webp_release',
  ],
  output: 'ferry-webp',
  idExport: 'WEBP_DECODER_ID',
});
