import { createWebpDecoder, type WebpDecoder } from '@ferry/codec-webp';
import type { Image } from '@ferry/core';

let decoder: Promise<WebpDecoder> | undefined;

/**
 * Hands the WebP decoder its wasm as an already compiled module: Workers import the .wasm as a
 * CompiledWasm module (workerd cannot compile wasm from bytes); Node compiles the file itself.
 */
export function initWebp(module: WebAssembly.Module): void {
  // One instance for the isolate's life, keeping the largest heap a decode needed (a lossless
  // WebP: 4 bytes a pixel): admission bounds it (image-input.ts, WASM_HEAP_STAYS).
  decoder = createWebpDecoder(module);
}

/**
 * Every WebP (lossy with or without alpha, lossless, the first frame of an animation) through
 * @ferry/codec-webp's libwebp in wasm, box-reduced by `factor` with core's reducer as libwebp
 * hands out its rows: the full frame never exists. RGB, alpha flattened on white: the pixels the
 * Node server gets from sharp, reduced the same way.
 */
export async function decodeWebp(bytes: Uint8Array, factor = 1): Promise<Image> {
  if (!decoder) throw new Error('WebP decoder is not initialised (call initWebp with its wasm module)');
  try {
    return await (await decoder).decodeReduced(bytes, factor);
  } catch (error) {
    throw new Error(`WebP decode failed: ${(error as Error).message}`);
  }
}
