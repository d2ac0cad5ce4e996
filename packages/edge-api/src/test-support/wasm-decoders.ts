/**
 * Node-side setup for the Workers decoders: Node compiles the libjpeg and libwebp .wasm files
 * itself, where Workers import them precompiled (wrangler's CompiledWasm rule).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { jpegWasmMissing } from '@ferry/codec-jpeg';
import ferryJpegWasmUrl from '@ferry/codec-jpeg/wasm-url';
import { initJpeg, initWebp } from '../decoders/index.js';

const require = createRequire(import.meta.url);

/** `scaled: false` leaves out @ferry/codec-jpeg's decoder, as in an install without its wasm. */
export async function initWasmDecoders(options: { scaled?: boolean } = {}): Promise<void> {
  const compile = (id: string) => WebAssembly.compile(readFileSync(require.resolve(id)));
  const scaled = options.scaled !== false && !jpegWasmMissing;
  initJpeg(
    await compile('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
    scaled ? await WebAssembly.compile(readFileSync(new URL(ferryJpegWasmUrl!))) : undefined,
  );
  initWebp(await compile('@jsquash/webp/codec/dec/webp_dec.wasm'));
}
