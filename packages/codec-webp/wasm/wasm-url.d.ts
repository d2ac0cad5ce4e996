/** URL of ferry-webp.wasm for bundlers (`new URL(..., import.meta.url)`). */
declare const url: string;
export default url;
