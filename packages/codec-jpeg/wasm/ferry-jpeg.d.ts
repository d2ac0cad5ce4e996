// Types of the emscripten glue scripts/build-wasm.mjs writes (committed beside it).
export interface FerryJpegModule {
  HEAPU8: Uint8Array;
  /** The C string at `pointer` (emscripten's runtime). */
  UTF8ToString(pointer: number): string;
  HEAP32: Int32Array;
  _ferry_jpeg_input(size: number): number;
  _ferry_jpeg_info(): number;
  _ferry_jpeg_message(): number;
  _ferry_jpeg_header(size: number): number;
  _ferry_jpeg_decode_scaled(size: number, eighths: number, strict: number): number;
  _ferry_jpeg_release(): void;
}
/** What the factory takes: the compiled ferry-jpeg.wasm (scripts/wasm-codec/pre.js instantiates it). */
export interface FerryJpegOptions {
  wasmModule: WebAssembly.Module;
}
declare const createFerryJpeg: (options: FerryJpegOptions) => Promise<FerryJpegModule>;
export default createFerryJpeg;
