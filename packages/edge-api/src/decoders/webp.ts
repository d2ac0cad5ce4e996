import { createWebpDecoder, type WebpDecoder } from '@ferry/codec-webp';
import type { Image } from '@ferry/core';

let decoder: Promise<WebpDecoder> | undefined;

/**
 * Hands the WebP decoder its wasm as an already compiled module: Workers import the .wasm as a
 * CompiledWasm module (workerd cannot compile wasm from bytes); Node compiles the file itself.
 */
export function initWebp(module: WebAssembly.Module): void {
  decoder = createWebpDecoder(module, { retainBytes: RETAIN_BYTES });
}

/**
 * Wasm memory never shrinks: after a decode that grew the instance past this (a lossless or
 * alpha WebP holds 4 to 5 bytes a pixel), it is dropped and the next decode starts a fresh one,
 * so the isolate does not keep tens of MB for the rest of its life. A lossy WebP stays far below.
 */
const RETAIN_BYTES = 16 * 2 ** 20;

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
