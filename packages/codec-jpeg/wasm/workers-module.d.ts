/** The compiled ferry-jpeg.wasm as wrangler's CompiledWasm import, or undefined when not built. */
declare const module: WebAssembly.Module | undefined;
export default module;
