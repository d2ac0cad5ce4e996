// Modules wrangler provides at bundle time (see wrangler.toml [[rules]]).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.onnx' {
  /** An ONNX file bundled as a Data module. */
  const bytes: ArrayBuffer;
  export default bytes;
}
