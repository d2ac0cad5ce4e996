// The compiled ferry-png.wasm for Workers: wrangler's CompiledWasm rule turns this import into a
// WebAssembly.Module.
import module from './ferry-png.wasm';
export default module;
