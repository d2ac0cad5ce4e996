/** `ferry-jpeg.wasm@<sha256>`: written by scripts/build-wasm.mjs beside the wasm it names. */
export const JPEG_DECODER_ID: string;
