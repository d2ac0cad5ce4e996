/**
 * The Workers fetch handler for a given ONNX file. Entries pass the model either as bytes
 * (index.ts: a bundled Data module) or as a loader (assets-entry.ts: Workers static assets);
 * one inference session per isolate, created on first use.
 */
// By package name: wrangler (4.86) resolves these like any import and applies the CompiledWasm rule.

// @ferry/codec-jpeg's libjpeg-turbo with DCT scaling: every JPEG.
import jpegWasm from '@ferry/codec-jpeg/workers-module';
// @ferry/codec-png's zlib inflate and row filters: non-interlaced PNGs, one scanline at a time.
import pngWasm from '@ferry/codec-png/workers-module';
// @ferry/codec-webp's libwebp, rows handed out as they are decoded: every WebP.
import webpWasm from '@ferry/codec-webp/workers-module';
import { createApp, createModelLoader, type FerryApp } from '../../app.js';
import { createJsDecoder, initJpeg, initPng, initWebp } from '../../decoders/index.js';
import { limitsFromEnv, WORKERS_DEFAULT_LIMITS } from '../../limits.js';
import { setupOrt } from './ort-setup.js';

export type WorkerEnv = Record<string, unknown>;

export interface WorkerHandler {
  fetch(request: Request, env: WorkerEnv, ctx: unknown): Response | Promise<Response>;
}

/** The model as bundled bytes, or a function that fetches them with the worker's bindings. */
export type ModelSource = ArrayBuffer | ((env: WorkerEnv) => Promise<ArrayBuffer>);

export function createWorker(model: ModelSource): WorkerHandler {
  initJpeg(jpegWasm);
  initPng(pngWasm);
  initWebp(webpWasm);
  // Bindings and vars are only known per request: build the app once per isolate, on the first.
  let app: FerryApp | undefined;
  const build = (env: WorkerEnv): FerryApp => {
    const limits = limitsFromEnv(env, WORKERS_DEFAULT_LIMITS);
    const ort = setupOrt();
    const loadModel = createModelLoader({
      readBytes: async () => new Uint8Array(typeof model === 'function' ? await model(env) : model),
      createSession: (bytes) => ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] }),
      Tensor: ort.Tensor,
    });
    return createApp({
      loadModel,
      decodeImage: createJsDecoder(),
      clockAdvancesDuringCpu: false,
      limits,
      runtime: 'workerd',
    });
  };
  return {
    fetch(request, env, ctx) {
      app ??= build(env);
      return app.fetch(request, env, ctx as never);
    },
  };
}
