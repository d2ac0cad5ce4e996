/**
 * One instance of the emscripten-built wasm (index.ts wraps it in a decoder).
 */
import createFerryJpeg, { type FerryJpegModule } from '../wasm/ferry-jpeg.js';

export type { FerryJpegModule };

export class JpegDecodeError extends Error {
  override name = 'JpegDecodeError';
}

export function instantiate(module: WebAssembly.Module): Promise<FerryJpegModule> {
  return createFerryJpeg({
    // Never used to fetch (instantiateWasm below), but its presence keeps the glue from
    // building a URL from import.meta.url, which is not a valid base in workerd.
    locateFile: (path) => path,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(module, imports);
      done(instance);
      return instance.exports;
    },
    // TurboJPEG reports through return codes; nothing should print, and nothing may reach stdout.
    print: () => {},
    printErr: () => {},
  });
}

/** Copies `bytes` into the instance's input buffer; returns their length. */
export function loadInput(wasm: FerryJpegModule, bytes: Uint8Array): number {
  const input = wasm._ferry_jpeg_input(bytes.byteLength);
  if (input === 0) throw new JpegDecodeError('out of memory for the JPEG bytes');
  wasm.HEAPU8.set(bytes, input);
  return bytes.byteLength;
}
