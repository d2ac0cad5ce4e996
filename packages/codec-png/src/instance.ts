/**
 * One instance of the emscripten-built wasm (index.ts wraps it in a row reader).
 */
import createFerryPng, { type FerryPngModule } from '../wasm/ferry-png.js';

export type { FerryPngModule };

export class PngDecodeError extends Error {
  override name = 'PngDecodeError';
}

/** A fresh instance of the compiled module (the glue's pre-js instantiates it: no fetch, no file). */
export function instantiate(module: WebAssembly.Module): Promise<FerryPngModule> {
  return createFerryPng({ wasmModule: module });
}
