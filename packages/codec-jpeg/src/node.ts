/**
 * Node: compiles wasm/ferry-jpeg.wasm from disk once per process.
 */
import { readFile } from 'node:fs/promises';
import { createJpegDecoder, type JpegDecoder } from './index.js';

export * from './index.js';

let module: Promise<WebAssembly.Module> | undefined;
const compiled = (): Promise<WebAssembly.Module> => {
  module ??= readFile(new URL('../wasm/ferry-jpeg.wasm', import.meta.url)).then((bytes) =>
    WebAssembly.compile(bytes),
  );
  return module;
};

let decoder: Promise<JpegDecoder> | undefined;

/** The decoder of this thread (the trainer runs one per decoding worker). */
export function loadJpegDecoder(): Promise<JpegDecoder> {
  decoder ??= compiled().then((wasm) => createJpegDecoder(wasm));
  return decoder;
}
