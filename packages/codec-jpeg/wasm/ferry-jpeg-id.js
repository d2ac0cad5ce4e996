// Written by scripts/build-wasm.mjs: the sha256 of ferry-jpeg.wasm, for cache keys.
export const JPEG_DECODER_ID =
  'ferry-jpeg.wasm@8d1af12058ef8e89e7f66bcb6feb98d5df74f6eda9e76699ac75b77c7f6dae89';
