/**
 * One instance of the emscripten-built wasm (index.ts wraps it in a decoder).
 */
import createFerryWebp, { type FerryWebpModule } from '../wasm/ferry-webp.js';

export type { FerryWebpModule };

export class WebpDecodeError extends Error {
  override name = 'WebpDecodeError';
}

export function instantiate(module: WebAssembly.Module): Promise<FerryWebpModule> {
  return createFerryWebp({
    // Never used to fetch (instantiateWasm below), but its presence keeps the glue from
    // building a URL from import.meta.url, which is not a valid base in workerd.
    locateFile: (path) => path,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(module, imports);
      done(instance);
      return instance.exports;
    },
    // libwebp reports through status codes; nothing should print, and nothing may reach stdout.
    print: () => {},
    printErr: () => {},
  });
}

/** Copies `bytes` into the instance's input buffer; returns their length. */
export function loadInput(wasm: FerryWebpModule, bytes: Uint8Array): number {
  if (bytes.byteLength === 0) throw new WebpDecodeError('empty input (0 bytes)');
  const input = wasm._ferry_webp_input(bytes.byteLength);
  if (input === 0) throw new WebpDecodeError('out of memory for the WebP bytes');
  wasm.HEAPU8.set(bytes, input);
  return bytes.byteLength;
}
