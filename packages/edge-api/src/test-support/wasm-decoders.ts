/**
 * Node-side setup for the Workers decoders: Node compiles the libjpeg, zlib and libwebp .wasm files
 * itself, where Workers import them precompiled (wrangler's CompiledWasm rule).
 */
import { readFileSync } from 'node:fs';
import ferryJpegWasmUrl from '@ferry/codec-jpeg/wasm-url';
import ferryPngWasmUrl from '@ferry/codec-png/wasm-url';
import ferryWebpWasmUrl from '@ferry/codec-webp/wasm-url';
import { initJpeg, initPng, initWebp } from '../decoders/index.js';

export async function initWasmDecoders(): Promise<void> {
  initJpeg(await WebAssembly.compile(readFileSync(new URL(ferryJpegWasmUrl))));
  initPng(await WebAssembly.compile(readFileSync(new URL(ferryPngWasmUrl))));
  initWebp(await WebAssembly.compile(readFileSync(new URL(ferryWebpWasmUrl))));
}
