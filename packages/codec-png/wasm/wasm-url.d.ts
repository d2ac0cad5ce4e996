/** URL of ferry-png.wasm (`new URL(..., import.meta.url)`). */
declare const url: string;
export default url;
