/** `ferry-webp.wasm@<sha256>`: written by scripts/build-wasm.mjs beside the wasm it names. */
export const WEBP_DECODER_ID: string;
