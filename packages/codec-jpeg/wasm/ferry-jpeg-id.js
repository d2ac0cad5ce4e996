// Written by scripts/build-wasm.mjs: the sha256 of ferry-jpeg.wasm, for cache keys.
export const JPEG_DECODER_ID =
  'ferry-jpeg.wasm@3f348c1b39a70a2201469aa8f0967c32f331bcf860d0b810570a839139ffff55';
