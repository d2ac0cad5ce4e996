/**
 * Node: compiles wasm/ferry-jpeg.wasm from disk once per process. `undefined` when the wasm was
 * not built (see `jpegWasmMissing`), so callers can keep their previous decoder.
 */
import { readFile } from 'node:fs/promises';
import { createJpegDecoder, type JpegDecoder, jpegWasmMissing } from './index.js';

export * from './index.js';

let decoder: Promise<JpegDecoder | undefined> | undefined;

export function loadJpegDecoder(): Promise<JpegDecoder | undefined> {
  decoder ??= (async () => {
    if (jpegWasmMissing) return undefined;
    const bytes = await readFile(new URL('../wasm/ferry-jpeg.wasm', import.meta.url));
    return createJpegDecoder(await WebAssembly.compile(bytes));
  })();
  return decoder;
}
