/** The compiled ferry-webp.wasm as wrangler's CompiledWasm import. */
declare const module: WebAssembly.Module;
export default module;
