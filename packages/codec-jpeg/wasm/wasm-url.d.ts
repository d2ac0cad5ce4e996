/** URL of ferry-jpeg.wasm for bundlers (`new URL(..., import.meta.url)`). */
declare const url: string;
export default url;
