import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import {
  CROSS_ORIGIN_ISOLATION,
  ferrySite,
  ortDistDir,
  pageCodeIdentity,
} from './vite-plugins/ferry-site.js';

const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  // Relative asset URLs: the built site works from any path (a CDN folder, a file server).
  base: './',
  plugins: [ferrySite()],
  resolve: {
    // The non-bundled entry: it loads its wasm from ort.env.wasm.wasmPaths (the site's own ort/
    // folder) instead of making Vite emit a second 28 MB copy through `new URL(import.meta.url)`.
    alias: [
      { find: /^onnxruntime-web$/, replacement: join(ortDistDir(), 'ort.min.mjs') },
      { find: /^onnxruntime-web\/wasm$/, replacement: join(ortDistDir(), 'ort.wasm.min.mjs') },
    ],
  },
  define: { __FERRY_CODE_ID__: JSON.stringify(pageCodeIdentity()) },
  // onnxruntime-web loads its wasm from ort.env.wasm.wasmPaths; pre-bundling would rewrite that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: {
    // Same-origin edge API in dev: /v1/* goes to FERRY_API (a local `wrangler dev` by default).
    proxy: { '/v1': process.env.FERRY_API ?? 'http://127.0.0.1:8787' },
    headers: CROSS_ORIGIN_ISOLATION,
  },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  // The train view's worker imports modules (tfjs, onnxruntime-web) and the page's own code.
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
    // Two pages: the classify view (index.html) and the train view (train/index.html).
    rollupOptions: { input: { main: join(root, 'index.html'), train: join(root, 'train/index.html') } },
  },
});
