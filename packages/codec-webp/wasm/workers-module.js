// The compiled ferry-webp.wasm for Workers: wrangler's CompiledWasm rule turns this import into a
// WebAssembly.Module.
import module from './ferry-webp.wasm';
export default module;
