import type { Image } from '@ferry/core';
import decode, { init } from '@jsquash/webp/decode.js';

let ready: Promise<void> | undefined;

/**
 * Hands @jsquash/webp its wasm as an already compiled module. Workers import the .wasm as a
 * CompiledWasm module (workerd cannot compile from bytes); Node compiles the file itself.
 */
export function initWebp(module: WebAssembly.Module): void {
  // jsquash's typings only list the options overload; the module overload exists at runtime.
  ready = (init as unknown as (m: WebAssembly.Module) => Promise<void>)(module);
}

/** WebP (lossy, lossless, alpha; first frame of animations) via libwebp compiled to wasm. */
export async function decodeWebp(bytes: Uint8Array): Promise<Image> {
  if (!ready) throw new Error('WebP decoder is not initialised (call initWebp with its wasm module)');
  await ready;
  // jsquash wants an ArrayBuffer holding exactly the file.
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const decoded = await decode(buffer);
  return {
    width: decoded.width,
    height: decoded.height,
    channels: 4,
    data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength),
  };
}
