/**
 * One instance of the emscripten-built wasm (index.ts wraps it in a decoder).
 */
import createFerryJpeg, { type FerryJpegModule } from '../wasm/ferry-jpeg.js';

export type { FerryJpegModule };

export class JpegDecodeError extends Error {
  override name = 'JpegDecodeError';
}

/** A fresh instance of the compiled module (the glue's pre-js instantiates it: no fetch, no file). */
export function instantiate(module: WebAssembly.Module): Promise<FerryJpegModule> {
  return createFerryJpeg({ wasmModule: module });
}

/** Copies `bytes` into the instance's input buffer; returns their length. */
export function loadInput(wasm: FerryJpegModule, bytes: Uint8Array): number {
  const input = wasm._ferry_jpeg_input(bytes.byteLength);
  if (input === 0) throw new JpegDecodeError('out of memory for the JPEG bytes');
  wasm.HEAPU8.set(bytes, input);
  return bytes.byteLength;
}
