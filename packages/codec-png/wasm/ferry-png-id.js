// Written by scripts/build-wasm.mjs: the sha256 of ferry-png.wasm, for cache keys.
export const PNG_DECODER_ID =
  'ferry-png.wasm@f46f383832de07534985a5ddf50dea71a45650689c728dbb52eb345cf7f26000';
