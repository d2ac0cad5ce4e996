// Written by scripts/build-wasm.mjs: the sha256 of ferry-jpeg.wasm, for cache keys.
export const JPEG_DECODER_ID =
  'ferry-jpeg.wasm@6d4dbaa59bad31293683707cfe149fce3a77c40ee1623fd5a3daf425b9acda67';
