// The URL of ferry-png.wasm, for Node to read it (and for bundlers, which copy the file it names).
export default new URL('./ferry-png.wasm', import.meta.url).href;
