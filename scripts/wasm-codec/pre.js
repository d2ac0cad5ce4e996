// Linked into every codec's emscripten glue (emcc --pre-js, by scripts/wasm-codec/build.mjs):
// each runtime hands the factory its already compiled module, `createFerryX({ wasmModule })`.
// Workers import the .wasm precompiled (workerd cannot compile wasm from bytes), Node and the
// page compile it themselves; either way the glue never fetches or reads a file, and a defined
// locateFile keeps it from building a URL from import.meta.url, which workerd rejects. The C
// code reports through return values: nothing may print.
Module.instantiateWasm = (imports, done) => {
  var instance = new WebAssembly.Instance(Module.wasmModule, imports);
  done(instance);
  return instance.exports;
};
Module.locateFile = (path) => path;
Module.print = Module.printErr = () => {};
