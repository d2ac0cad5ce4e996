import { join } from 'node:path';
import { defineConfig } from 'vite';
import { ferrySite, ortDistDir } from './vite-plugins/ferry-site.js';

export default defineConfig({
  // Relative asset URLs: the built site works from any path (a CDN folder, a file server).
  base: './',
  plugins: [ferrySite()],
  resolve: {
    // The non-bundled entry: it loads its wasm from ort.env.wasm.wasmPaths (the site's own ort/
    // folder) instead of making Vite emit a second 28 MB copy through `new URL(import.meta.url)`.
    alias: [{ find: /^onnxruntime-web$/, replacement: join(ortDistDir(), 'ort.min.mjs') }],
  },
  // onnxruntime-web loads its wasm from ort.env.wasm.wasmPaths; pre-bundling would rewrite that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: {
    // Same-origin edge API in dev: /v1/* goes to FERRY_API (a local `wrangler dev` by default).
    proxy: { '/v1': process.env.FERRY_API ?? 'http://127.0.0.1:8787' },
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
});
