// Written by scripts/build-wasm.mjs: the sha256 of ferry-jpeg.wasm, for cache keys.
export const JPEG_DECODER_ID =
  'ferry-jpeg.wasm@4c5a475c4492bb8fa28b593efc3b1efca6671af756872bce472a166cfe977755';
