/**
 * One instance of the emscripten-built wasm (index.ts wraps it in a decoder).
 */
import createFerryWebp, { type FerryWebpModule } from '../wasm/ferry-webp.js';

export type { FerryWebpModule };

export class WebpDecodeError extends Error {
  override name = 'WebpDecodeError';
}

/** A fresh instance of the compiled module (the glue's pre-js instantiates it: no fetch, no file). */
export function instantiate(module: WebAssembly.Module): Promise<FerryWebpModule> {
  return createFerryWebp({ wasmModule: module });
}

/** Copies `bytes` into the instance's input buffer; returns their length. */
export function loadInput(wasm: FerryWebpModule, bytes: Uint8Array): number {
  if (bytes.byteLength === 0) throw new WebpDecodeError('empty input (0 bytes)');
  const input = wasm._ferry_webp_input(bytes.byteLength);
  if (input === 0) throw new WebpDecodeError('out of memory for the WebP bytes');
  wasm.HEAPU8.set(bytes, input);
  return bytes.byteLength;
}
