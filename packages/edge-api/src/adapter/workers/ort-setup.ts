/**
 * onnxruntime-web inside workerd. workerd forbids compiling WebAssembly from bytes at runtime,
 * so the runtime's .wasm is imported as a precompiled module (wrangler rule `CompiledWasm`) and
 * `WebAssembly.instantiate` is wrapped to use it whenever ort's glue passes bytes. Threads and
 * workers do not exist in an isolate: one thread, and the `/wasm` entry whose glue is inlined
 * (no dynamic import of the .mjs).
 */

import ortWasmModule from 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import * as ort from 'onnxruntime-web/wasm';

let configured = false;

export function setupOrt(): typeof ort {
  if (configured) return ort;
  configured = true;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => Promise<unknown>;
  (WebAssembly as { instantiate: unknown }).instantiate = (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => {
    if (source instanceof WebAssembly.Module) return instantiate(source, imports);
    // Bytes (ort's dummy wasmBinary): instantiate the precompiled module and return the
    // `{ module, instance }` shape that byte input produces.
    return instantiate(ortWasmModule, imports).then((instance) => ({ module: ortWasmModule, instance }));
  };
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  // Non-empty so ort takes the "binary provided" path instead of fetching a URL.
  ort.env.wasm.wasmBinary = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  return ort;
}
