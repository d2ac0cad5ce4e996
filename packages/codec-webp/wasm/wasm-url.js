// The URL of ferry-webp.wasm for bundlers: Vite copies the file this names into the site.
export default new URL('./ferry-webp.wasm', import.meta.url).href;
