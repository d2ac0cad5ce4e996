/**
 * The Workers fetch handler for a given ONNX file. Entries (index.ts for builds, generated
 * ones in tests) import the model as a Data module and pass it here; one inference session
 * per isolate, created on first use.
 */
// wrangler's module collector resolves only relative paths, hence the path into node_modules.
import webpWasm from '../../../../../node_modules/@jsquash/webp/codec/dec/webp_dec.wasm';
import { createApp, createModelLoader, type FerryApp } from '../../app.js';
import { createJsDecoder, initWebp } from '../../decoders/index.js';
import { limitsFromEnv } from '../../limits.js';
import { setupOrt } from './ort-setup.js';

export interface WorkerHandler {
  fetch(request: Request, env: Record<string, unknown>, ctx: unknown): Response | Promise<Response>;
}

export function createWorker(modelBytes: ArrayBuffer): WorkerHandler {
  initWebp(webpWasm);
  const loadModel = createModelLoader({
    readBytes: async () => new Uint8Array(modelBytes),
    createSession: (bytes) => setupOrt().InferenceSession.create(bytes, { executionProviders: ['wasm'] }),
    Tensor: setupOrt().Tensor,
  });
  // Worker vars (wrangler.toml [vars]) are only known per request; build the app once per isolate.
  let app: FerryApp | undefined;
  return {
    fetch(request, env, ctx) {
      if (!app) {
        const limits = limitsFromEnv(env);
        app = createApp({
          loadModel,
          decodeImage: createJsDecoder(limits.maxPixels),
          limits,
          runtime: 'workerd',
        });
      }
      return app.fetch(request, env, ctx as never);
    },
  };
}
