/**
 * Node-side setup for the Workers decoders: Node compiles the libjpeg and libwebp .wasm files
 * itself, where Workers import them precompiled (wrangler's CompiledWasm rule).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ferryJpegWasmUrl from '@ferry/codec-jpeg/wasm-url';
import { initJpeg, initWebp } from '../decoders/index.js';

const require = createRequire(import.meta.url);

export async function initWasmDecoders(): Promise<void> {
  initJpeg(await WebAssembly.compile(readFileSync(new URL(ferryJpegWasmUrl))));
  initWebp(await WebAssembly.compile(readFileSync(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'))));
}
