// Written by scripts/build-wasm.mjs: the sha256 of ferry-webp.wasm, for cache keys.
export const WEBP_DECODER_ID =
  'ferry-webp.wasm@c4814e13871856824c83ee73070351edecc39cf3cf55ed6ce916db84a0465ad6';
