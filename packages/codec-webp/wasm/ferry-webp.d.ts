// Types of the emscripten glue scripts/build-wasm.mjs writes (committed beside it).
export interface FerryWebpModule {
  HEAPU8: Uint8Array;
  /** The C string at `pointer` (emscripten's runtime). */
  UTF8ToString(pointer: number): string;
  HEAP32: Int32Array;
  /**
   * Called by the wasm with `count` rows of `stride` bytes at `rows` in HEAPU8, the first being
   * row `first`; valid only during the call. Returns 1 to go on, 0 to stop the decode.
   */
  onRows?: (rows: number, first: number, count: number, stride: number) => number;
  _ferry_webp_input(size: number): number;
  _ferry_webp_info(): number;
  _ferry_webp_message(): number;
  _ferry_webp_header(size: number): number;
  _ferry_webp_decode(size: number): number;
  _ferry_webp_release(): void;
}
/** What the factory takes: the compiled ferry-webp.wasm (scripts/wasm-codec/pre.js instantiates it). */
export interface FerryWebpOptions {
  wasmModule: WebAssembly.Module;
}
declare const createFerryWebp: (options: FerryWebpOptions) => Promise<FerryWebpModule>;
export default createFerryWebp;
