// Types of the emscripten glue scripts/build-wasm.mjs writes (committed beside it).
export interface FerryPngModule {
  HEAPU8: Uint8Array;
  _ferry_png_message(): number;
  _ferry_png_start(rowBytes: number, pixelBytes: number): number;
  _ferry_png_input(size: number): number;
  _ferry_png_feed(size: number): void;
  _ferry_png_next_row(): number;
  _ferry_png_end(): void;
}
export interface FerryPngOverrides {
  instantiateWasm(
    imports: WebAssembly.Imports,
    done: (instance: WebAssembly.Instance) => void,
  ): WebAssembly.Exports;
  locateFile?(path: string): string;
  print?(line: string): void;
  printErr?(line: string): void;
}
declare const createFerryPng: (overrides: FerryPngOverrides) => Promise<FerryPngModule>;
export default createFerryPng;
