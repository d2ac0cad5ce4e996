/**
 * Request limits: core's values (the numbers the web page and the CLI use too), which both
 * adapters let the environment override (see README). Node and Workers differ in the memory
 * bounds: a Workers isolate has 128 MB for the model and every request at once.
 */
import {
  DEFAULT_TOP_K,
  MAX_DECODES,
  MAX_PIXELS,
  MAX_QUEUE,
  MAX_QUEUED_BYTES,
  MAX_UPLOAD_BYTES,
  WORKERS_MAX_DECODES,
  WORKERS_MAX_PIXELS,
  WORKERS_MAX_QUEUE,
  WORKERS_MAX_QUEUED_BYTES,
} from '@ferry/core';

export interface Limits {
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /**
   * Largest frame decoded, in pixels, checked from the image header before decoding. A JPEG
   * counts at the size it is decoded at: the model's decode rule shrinks large photos 2-8x per
   * side in the DCT domain, so a 12-MP photo is decoded (and counted) as 0.19 MP.
   */
  maxPixels: number;
  /** Default `top_k` when the query omits it. */
  defaultTopK: number;
  /** Decode + preprocess + inference sections running at once; the rest wait in order. */
  maxDecodes: number;
  /** Classify requests waiting beyond those decoding; one more gets 503 with Retry-After. */
  maxQueue: number;
  /**
   * Upload bytes held at once (being read, waiting and decoding; Content-Length, or the body
   * limit when none is declared); a request whose body does not fit gets the same 503.
   */
  maxQueuedBytes: number;
}

/** Node server. */
export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: MAX_UPLOAD_BYTES,
  maxPixels: MAX_PIXELS,
  defaultTopK: DEFAULT_TOP_K,
  maxDecodes: MAX_DECODES,
  maxQueue: MAX_QUEUE,
  maxQueuedBytes: MAX_QUEUED_BYTES,
};

/** Workers: sized for 128 MB per isolate with the model loaded (see core's limits.ts). */
export const WORKERS_DEFAULT_LIMITS: Limits = {
  maxBodyBytes: MAX_UPLOAD_BYTES,
  maxPixels: WORKERS_MAX_PIXELS,
  defaultTopK: DEFAULT_TOP_K,
  maxDecodes: WORKERS_MAX_DECODES,
  maxQueue: WORKERS_MAX_QUEUE,
  maxQueuedBytes: WORKERS_MAX_QUEUED_BYTES,
};

/** Limits from string settings (env vars / worker vars); ignores values that are not positive integers. */
export function limitsFromEnv(env: Record<string, unknown>, defaults: Limits = DEFAULT_LIMITS): Limits {
  const read = (key: string, fallback: number): number => {
    const raw = env[key];
    const value = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
    return Number.isSafeInteger(value) && value > 0 ? value : fallback;
  };
  return {
    maxBodyBytes: read('FERRY_MAX_BODY_BYTES', defaults.maxBodyBytes),
    maxPixels: read('FERRY_MAX_PIXELS', defaults.maxPixels),
    defaultTopK: read('FERRY_DEFAULT_TOP_K', defaults.defaultTopK),
    maxDecodes: read('FERRY_MAX_DECODES', defaults.maxDecodes),
    maxQueue: read('FERRY_MAX_QUEUE', defaults.maxQueue),
    maxQueuedBytes: read('FERRY_MAX_QUEUED_BYTES', defaults.maxQueuedBytes),
  };
}

const MiB = 2 ** 20;

/** "10 MiB", "512 KiB", "900 bytes": limits in words for error messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}

/** "12.2 megapixels" / "10000 pixels". */
export function formatPixels(pixels: number): string {
  return pixels >= 100_000 ? `${Number((pixels / 1e6).toFixed(1))} megapixels` : `${pixels} pixels`;
}
