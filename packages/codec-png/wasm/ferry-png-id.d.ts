/** `ferry-png.wasm@<sha256>`: written by scripts/build-wasm.mjs beside the wasm it names. */
export const PNG_DECODER_ID: string;
