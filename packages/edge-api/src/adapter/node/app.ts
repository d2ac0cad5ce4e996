/**
 * The Ferry edge API as a Hono app on Node: onnxruntime-node for inference, sharp for decoding.
 * start-server.ts serves it; index.ts is the package's `./node` entry.
 */
import { readFile } from 'node:fs/promises';
import { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import * as ort from 'onnxruntime-node';
import { type AppOptions, createApp, createModelLoader, type FerryApp, type LoadedModel } from '../../app.js';
import { DEFAULT_LIMITS, type Limits } from '../../limits.js';
import { decodeUpload } from './decode-sharp.js';
import { readIncomingCapped } from './read-incoming.js';

export interface NodeAppOptions {
  /** Path of the ONNX file written by `ferry export`. */
  modelPath: string;
  limits?: Partial<Limits>;
  log?: AppOptions['log'];
  /**
   * A directory served at `/` for paths the API does not own (e.g. the web demo's Vite build:
   * index.html, assets/, model.onnx, ort/*.wasm), so page and API share one origin.
   */
  staticDir?: string;
  /** The model loader to serve from (default: a new one for `modelPath`); pass one to preload it. */
  loadModel?: () => Promise<LoadedModel>;
}

/** One lazily created onnxruntime-node session for the ONNX file at `modelPath`. */
export function createNodeModelLoader(modelPath: string): () => Promise<LoadedModel> {
  return createModelLoader({
    readBytes: async () => {
      try {
        return new Uint8Array(await readFile(modelPath));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
        throw new Error(`cannot read model file ${modelPath} (${code})`);
      }
    },
    // One intra-op thread: a request's inference (one photo, ~2-3 ms) gains little from a second,
    // and onnxruntime's second thread spin-waits after each run, taking the core that the next
    // upload's two-thread JPEG decode needs (12-MP decode 38-40 ms with it, 22-29 without).
    createSession: (bytes) =>
      ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 1,
      }),
    Tensor: ort.Tensor,
  });
}

export function createNodeApp(options: NodeAppOptions): FerryApp {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return createApp({
    loadModel: options.loadModel ?? createNodeModelLoader(options.modelPath),
    decodeImage: (bytes, header, rule) => decodeUpload(bytes, header, rule, limits.maxPixels),
    // Behind @hono/node-server the env holds Node's request and response: read the body from
    // them directly (read-incoming.ts); app.request() in tests has neither and reads the stream.
    bodyReader: (env) => {
      const { incoming, outgoing } = (env ?? {}) as { incoming?: unknown; outgoing?: unknown };
      if (!(incoming instanceof IncomingMessage)) return undefined;
      const response = outgoing instanceof ServerResponse ? outgoing : undefined;
      return (maxBytes, timeoutMs) => readIncomingCapped(incoming, maxBytes, timeoutMs, response);
    },
    limits,
    log: options.log,
    runtime: 'node',
    // serveStatic refuses `..`, doubled slashes and backslashes, so nothing outside the root is read.
    staticFiles: options.staticDir ? serveStatic({ root: resolve(options.staticDir) }) : undefined,
  });
}
