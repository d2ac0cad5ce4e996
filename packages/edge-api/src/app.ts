/**
 * The Ferry edge API as one Hono app. Runtimes differ only in what they inject: how images are
 * decoded and how the ONNX session is created (see `adapter/workers` and `adapter/node`).
 * Everything numeric after decoding (orientation, resize, crop, normalize, softmax, top-k)
 * is `@ferry/core`, so every runtime gives the same answer. A classify request passes the
 * request log (middleware/request-log), the model and top_k, the decode slot
 * (middleware/decode-slot), then reads its body and gets classify.ts's answer.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { classify, type DecodeImage } from './classify.js';
import { BusyError, createDecodeGate } from './decode-gate.js';
import { errorBody, HttpError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { decodeSlot } from './middleware/decode-slot/index.js';
import { type RequestLog, type RequestLogEnv, requestLog } from './middleware/request-log/index.js';
import type { LoadedModel } from './model.js';
import { type BodyReader, readImageUpload } from './read-upload.js';
import { parseTopK } from './top-k.js';

export { type Classified, type ClassifyInput, classify, type DecodeImage } from './classify.js';
export { BusyError, createDecodeGate, type DecodeGate } from './decode-gate.js';
export { type ErrorCode, errorBody, HttpError } from './errors.js';
export { DEFAULT_LIMITS, type Limits, limitsFromEnv, WORKERS_DEFAULT_LIMITS } from './limits.js';
export type { RequestLog } from './middleware/request-log/index.js';
export { createModelLoader, type LoadedModel, type ModelLoaderOptions, sha256Hex } from './model.js';
export type { BodyReader } from './read-upload.js';

export interface AppOptions {
  loadModel: () => Promise<LoadedModel>;
  decodeImage: DecodeImage;
  /**
   * Whether the clock advances during CPU work. Deployed Workers freeze it between I/O (a
   * Spectre mitigation), so timings measured there read 0: with false, a request whose whole
   * decode + preprocess + inference measured 0 answers `timing_ms: null` with a note instead.
   */
  clockAdvancesDuringCpu?: boolean;
  limits?: Partial<Limits>;
  /** Receives one record per request; default prints it as one JSON line. */
  log?: (record: RequestLog) => void;
  /**
   * Reads a classify request's body from what the runtime passed as the Hono env (e.g. the Node
   * server's IncomingMessage), with the same limits and answers as reading `request.body`;
   * returns undefined where it cannot (then the request's own stream is read).
   */
  bodyReader?: (env: unknown) => BodyReader | undefined;
  /** Shown by /healthz (e.g. "workerd", "node"). */
  runtime?: string;
  /**
   * Serves files for GET/HEAD paths the API does not own (the web demo's built site on the
   * Node server); must call `next()` when it has no such file, so the JSON 404 still applies.
   */
  staticFiles?: MiddlewareHandler;
}

type Env = RequestLogEnv & { Variables: { model: LoadedModel; topK: number } };

export function createApp(options: AppOptions) {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const gate = createDecodeGate({
    maxDecodes: limits.maxDecodes,
    maxQueue: limits.maxQueue,
  });
  const log = options.log ?? ((record: RequestLog) => console.log(JSON.stringify(record)));
  const app = new Hono<Env>();

  app.use('*', cors({ origin: '*', allowMethods: ['GET', 'POST', 'OPTIONS'], maxAge: 86400 }));
  // Logging wraps everything else so errors are logged with their final status.
  app.use('*', requestLog(log));

  app.get('/healthz', (c) => c.json({ status: 'ok', runtime: options.runtime ?? 'unknown' }));

  app.get('/v1/model', async (c) => {
    const model = await loadModelOr503(options.loadModel);
    return c.json({ ...model.spec, sha256: model.sha256 });
  });

  app.post(
    '/v1/classify',
    // A model that cannot load and a bad top_k are answered before the request queues.
    async (c, next) => {
      const model = await loadModelOr503(options.loadModel);
      c.set('model', model);
      c.set('topK', parseTopK(c.req.query('top_k'), limits.defaultTopK, model.spec.labels.length));
      await next();
    },
    decodeSlot(gate, limits.maxBodyBytes),
    async (c) => {
      const bytes = await readImageUpload(
        c.req.raw,
        limits.maxBodyBytes,
        limits.bodyTimeoutSeconds * 1000,
        options.bodyReader?.(c.env),
      );
      c.get('log').request_bytes = bytes.byteLength;
      const { answer, image, timing } = await classify({
        bytes,
        model: c.get('model'),
        decodeImage: options.decodeImage,
        maxPixels: limits.maxPixels,
        topK: c.get('topK'),
        ...(options.clockAdvancesDuringCpu === undefined
          ? {}
          : { clockAdvancesDuringCpu: options.clockAdvancesDuringCpu }),
      });
      c.get('log').image = image;
      c.get('log').timing_ms = timing;
      return c.json(answer);
    },
  );

  // Known paths with the wrong method are 405 with Allow, not 404.
  const allow: Record<string, string> = { '/healthz': 'GET', '/v1/model': 'GET', '/v1/classify': 'POST' };
  for (const [path, methods] of Object.entries(allow)) {
    app.all(path, (c) => {
      c.header('Allow', `${methods}, OPTIONS`);
      return c.json(errorBody('method_not_allowed', `use ${methods} for ${path}`), 405);
    });
  }

  if (options.staticFiles) {
    const serve = options.staticFiles;
    app.get('/*', async (c, next) => {
      c.get('log').route = 'static';
      return serve(c, next);
    });
  }

  app.notFound((c) => c.json(errorBody('not_found', 'no such endpoint'), 404));

  app.onError((error, c) => {
    if (error instanceof HttpError) {
      c.get('log').error = error.code;
      if (error instanceof BusyError) c.header('Retry-After', String(error.retryAfterSeconds));
      return c.json(errorBody(error.code, error.message), error.status);
    }
    // Unexpected: log the class of error (not its message, which could quote input) and stay up.
    c.get('log').error = `internal:${error instanceof Error ? error.name : typeof error}`;
    return c.json(errorBody('internal', 'internal error while classifying'), 500);
  });

  return app;
}

async function loadModelOr503(loadModel: () => Promise<LoadedModel>): Promise<LoadedModel> {
  try {
    return await loadModel();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(503, 'model_unavailable', `model failed to load: ${reason}`);
  }
}

export type FerryApp = ReturnType<typeof createApp>;
