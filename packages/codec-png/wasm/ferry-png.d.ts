// Types of the emscripten glue scripts/build-wasm.mjs writes (committed beside it).
export interface FerryPngModule {
  HEAPU8: Uint8Array;
  /** The C string at `pointer` (emscripten's runtime). */
  UTF8ToString(pointer: number): string;
  _ferry_png_message(): number;
  _ferry_png_start(rowBytes: number, pixelBytes: number): number;
  _ferry_png_input(size: number): number;
  _ferry_png_feed(size: number): void;
  _ferry_png_next_row(): number;
  _ferry_png_end(): void;
}
/** What the factory takes: the compiled ferry-png.wasm (scripts/wasm-codec/pre.js instantiates it). */
export interface FerryPngOptions {
  wasmModule: WebAssembly.Module;
}
declare const createFerryPng: (options: FerryPngOptions) => Promise<FerryPngModule>;
export default createFerryPng;
