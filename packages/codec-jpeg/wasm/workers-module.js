// The compiled ferry-jpeg.wasm for Workers: wrangler's CompiledWasm rule turns this import into a
// WebAssembly.Module.
import module from './ferry-jpeg.wasm';
export default module;
