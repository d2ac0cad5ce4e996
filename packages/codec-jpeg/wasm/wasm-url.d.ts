/** URL of ferry-jpeg.wasm for bundlers (`new URL(..., import.meta.url)`), or undefined when not built. */
declare const url: string | undefined;
export default url;
