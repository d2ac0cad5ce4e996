/**
 * One instance of the emscripten-built wasm (index.ts wraps it in a row reader).
 */
import createFerryPng, { type FerryPngModule } from '../wasm/ferry-png.js';

export type { FerryPngModule };

export class PngDecodeError extends Error {
  override name = 'PngDecodeError';
}

export function instantiate(module: WebAssembly.Module): Promise<FerryPngModule> {
  return createFerryPng({
    // Never used to fetch (instantiateWasm below), but its presence keeps the glue from
    // building a URL from import.meta.url, which is not a valid base in workerd.
    locateFile: (path) => path,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(module, imports);
      done(instance);
      return instance.exports;
    },
    // zlib reports through return codes; nothing should print.
    print: () => {},
    printErr: () => {},
  });
}
