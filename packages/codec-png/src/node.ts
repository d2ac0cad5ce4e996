/**
 * Node: compiles wasm/ferry-png.wasm from disk once per process.
 */
import { readFile } from 'node:fs/promises';
import { createPngRowReader, type PngRowReader } from './index.js';

export * from './index.js';

let reader: Promise<PngRowReader> | undefined;

/** The row reader of this thread. */
export function loadPngRowReader(): Promise<PngRowReader> {
  reader ??= readFile(new URL('../wasm/ferry-png.wasm', import.meta.url))
    .then((bytes) => WebAssembly.compile(bytes))
    .then((module) => createPngRowReader(module));
  return reader;
}
