/**
 * Node: compiles wasm/ferry-webp.wasm from disk once per process.
 */
import { readFile } from 'node:fs/promises';
import { createWebpDecoder, type WebpDecoder } from './index.js';

export * from './index.js';

let module: Promise<WebAssembly.Module> | undefined;

/** The compiled wasm, read and compiled once per process. */
export function compileWebpWasm(): Promise<WebAssembly.Module> {
  module ??= readFile(new URL('../wasm/ferry-webp.wasm', import.meta.url)).then((bytes) =>
    WebAssembly.compile(bytes),
  );
  return module;
}

let decoder: Promise<WebpDecoder> | undefined;

/** The decoder of this thread (one wasm instance; created on first use). */
export function loadWebpDecoder(): Promise<WebpDecoder> {
  decoder ??= compileWebpWasm().then((wasm) => createWebpDecoder(wasm));
  return decoder;
}
