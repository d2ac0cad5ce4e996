/**
 * Node-side setup for the Workers decoders: Node compiles the libjpeg and libwebp .wasm files
 * itself, where Workers import them precompiled (wrangler's CompiledWasm rule).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initJpeg, initWebp } from '../decoders/index.js';

const require = createRequire(import.meta.url);

export async function initWasmDecoders(): Promise<void> {
  const compile = (id: string) => WebAssembly.compile(readFileSync(require.resolve(id)));
  initJpeg(await compile('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
  initWebp(await compile('@jsquash/webp/codec/dec/webp_dec.wasm'));
}
