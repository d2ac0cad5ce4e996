// Types of the emscripten glue scripts/build-wasm.mjs writes (committed beside it).
export interface FerryJpegModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  _ferry_jpeg_input(size: number): number;
  _ferry_jpeg_info(): number;
  _ferry_jpeg_message(): number;
  _ferry_jpeg_header(size: number): number;
  _ferry_jpeg_decode_scaled(size: number, eighths: number, strict: number): number;
  _ferry_jpeg_release(): void;
}
export interface FerryJpegOverrides {
  instantiateWasm(
    imports: WebAssembly.Imports,
    done: (instance: WebAssembly.Instance) => void,
  ): WebAssembly.Exports;
  locateFile?(path: string): string;
  print?(line: string): void;
  printErr?(line: string): void;
}
declare const createFerryJpeg: (overrides: FerryJpegOverrides) => Promise<FerryJpegModule>;
export default createFerryJpeg;
