/**
 * The Ferry edge API as one Hono app. Runtimes differ only in what they inject: how images are
 * decoded and how the ONNX session is created (see `adapter/workers` and `adapter/node`).
 * Everything numeric after decoding (orientation, resize, crop, normalize, softmax, top-k)
 * is `@ferry/core`, so every runtime gives the same answer.
 */
import {
  applyOrientation,
  type ClassifyResponse,
  type DecodeRule,
  formatJpegScale,
  type Image,
  ImageError,
  type ImageHeader,
  QUEUE_WAIT_SECONDS,
} from '@ferry/core';
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { BusyError, createDecodeGate } from './decode-gate.js';
import { errorBody, HttpError } from './errors.js';
import { inspectImage } from './image-input.js';
import { DEFAULT_LIMITS, formatPixels, type Limits } from './limits.js';
import type { LoadedModel } from './model.js';
import { type BodyReader, checkUploadHeaders, discardBody, readImageUpload } from './read-upload.js';
import { parseTopK } from './top-k.js';

export { BusyError, createDecodeGate, type DecodeGate } from './decode-gate.js';
export { type ErrorCode, errorBody, HttpError } from './errors.js';
export { DEFAULT_LIMITS, type Limits, limitsFromEnv, WORKERS_DEFAULT_LIMITS } from './limits.js';
export { createModelLoader, type LoadedModel, type ModelLoaderOptions, sha256Hex } from './model.js';
export type { BodyReader } from './read-upload.js';

/**
 * Decodes validated image bytes to 8-bit RGB/RGBA pixels as stored (EXIF orientation not
 * applied), at the size the model's decode rule asks for (JPEG DCT scaling; `rule` is absent for
 * model files from before the rule: full size).
 */
export type DecodeImage = ((
  bytes: Uint8Array,
  header: ImageHeader,
  rule: DecodeRule | undefined,
) => Promise<Image> | Image) & {
  /**
   * Set by decoders that stream a non-interlaced PNG row by row into its box-reduced frame
   * (Workers' createJsDecoder): the pixel limit then counts that frame, not the whole one.
   */
  streamsPng?: boolean;
};

/** One structured log record per request; never contains user content. */
export interface RequestLog {
  method: string;
  route: string;
  status: number;
  ms: number;
  request_bytes?: number;
  image?: { format: string; width: number; height: number };
  timing_ms?: { decode: number; preprocess: number; inference: number } | null;
  error?: string;
}

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

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const round = (ms: number): number => Math.round(ms * 100) / 100;

type Env = { Variables: { log: Partial<RequestLog> } };

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
  app.use('*', async (c, next) => {
    const start = now();
    c.set('log', {});
    await next();
    const extra = c.get('log');
    const record: RequestLog = {
      method: c.req.method,
      // The matched route pattern, not the URL: query strings are user content.
      route: c.req.routePath === '*' || c.req.routePath === '/*' ? 'unmatched' : c.req.routePath,
      status: c.res.status,
      ms: round(now() - start),
      ...extra,
    };
    try {
      log(record);
    } catch {
      // A broken log sink must never fail the request.
    }
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', runtime: options.runtime ?? 'unknown' }));

  app.get('/v1/model', async (c) => {
    const model = await loadModelOr503(options.loadModel);
    return c.json({ ...model.spec, sha256: model.sha256 });
  });

  app.post('/v1/classify', async (c) => {
    const model = await loadModelOr503(options.loadModel);
    const topK = parseTopK(c.req.query('top_k'), limits.defaultTopK, model.spec.labels.length);
    // Past the queue a request is a 503 now, not an isolate that runs out of memory later. It
    // is admitted on its count alone: its body is read only once it holds a decode slot, so
    // waiting uploads stay in the network buffers, not in memory (see decode-gate.ts).
    let admission: ReturnType<typeof gate.admit>;
    try {
      admission = gate.admit();
    } catch (error) {
      await discardBody(c.req.raw, limits.maxBodyBytes);
      throw error;
    }
    try {
      // What the headers already refuse (415, a declared body over the limit) does not queue.
      await checkUploadHeaders(c.req.raw, limits.maxBodyBytes);
      try {
        await admission.decodeSlot(QUEUE_WAIT_SECONDS * 1000);
      } catch (error) {
        await discardBody(c.req.raw, limits.maxBodyBytes);
        throw error;
      }
      const bytes = await readImageUpload(
        c.req.raw,
        limits.maxBodyBytes,
        limits.bodyTimeoutSeconds * 1000,
        options.bodyReader?.(c.env),
      );
      c.get('log').request_bytes = bytes.byteLength;
      const { header, rule, reduced } = inspectImage(
        bytes,
        limits.maxPixels,
        model.spec.decode,
        options.decodeImage.streamsPng === true,
      );
      c.get('log').image = { format: header.format, width: header.width, height: header.height };
      const t0 = now();
      let image: Image;
      try {
        const decoded = await options.decodeImage(bytes, header, rule);
        image = applyOrientation(decoded, header.orientation);
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, 'bad_image', `could not decode the ${header.format.toUpperCase()} image`);
      }
      const decodeMs = now() - t0;
      let result: Awaited<ReturnType<LoadedModel['classifier']['classify']>>;
      try {
        result = await model.classifier.classify(image, { topK });
      } catch (error) {
        // Only a decoder that returned inconsistent pixels is the upload's fault; the rest is ours.
        if (error instanceof ImageError) throw new HttpError(400, 'bad_image', error.message);
        throw error;
      }
      const measured = decodeMs + result.timing_ms.preprocess + result.timing_ms.inference;
      const frozenClock = options.clockAdvancesDuringCpu === false && measured === 0;
      const timing_ms = frozenClock
        ? null
        : {
            decode: round(decodeMs),
            preprocess: round(result.timing_ms.preprocess),
            inference: round(result.timing_ms.inference),
          };
      c.get('log').timing_ms = timing_ms;
      const answer: ClassifyResponse = {
        model: { name: model.spec.name, sha256: model.sha256, labels: model.spec.labels },
        predictions: result.predictions,
        // Open-set models (spec.openSet) also say whether the photo is none of their labels; the
        // top-k above is still the closest labels. Models exported before answer without them.
        ...(result.unknown === undefined ? {} : { unknown: result.unknown, ood_score: result.oodScore }),
        timing_ms,
      };
      if (reduced) {
        answer.decode_note =
          `decoded at ${formatJpegScale(reduced.eighths)} scale (${reduced.width}x${reduced.height}) to fit this server's ` +
          `${formatPixels(limits.maxPixels)} limit (FERRY_MAX_PIXELS): this model file has no decode rule, so ` +
          'large photos are not decoded exactly as in its training; a model trained with a current ferry has one';
      }
      if (frozenClock)
        answer.timing_note = "this runtime's clock does not advance during CPU work (deployed Workers)";
      return c.json(answer);
    } finally {
      admission.release();
    }
  });

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
