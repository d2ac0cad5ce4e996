// The URL of ferry-jpeg.wasm for bundlers: Vite copies the file this names into the site.
export default new URL('./ferry-jpeg.wasm', import.meta.url).href;
