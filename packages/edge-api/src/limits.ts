/**
 * Request limits: core's values (the numbers the web page and the CLI use too), which both
 * adapters let the environment override (see README). Node and Workers differ in the memory
 * bounds: a Workers isolate has 128 MB for the model and every request at once.
 */
import {
  BODY_TIMEOUT_SECONDS,
  DEFAULT_TOP_K,
  MAX_DECODES,
  MAX_PIXELS,
  MAX_QUEUE,
  MAX_UPLOAD_BYTES,
  WORKERS_MAX_DECODES,
  WORKERS_MAX_PIXELS,
  WORKERS_MAX_QUEUE,
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
  /**
   * Requests reading their body + decoding + classifying at once; the rest wait in order, their
   * bodies unread (so at most this many bodies and frames are in memory).
   */
  maxDecodes: number;
  /** Classify requests waiting beyond those decoding; one more gets 503 with Retry-After. */
  maxQueue: number;
  /** Seconds a body may take to arrive once reading starts; past it, 408 (frees the slot). */
  bodyTimeoutSeconds: number;
}

/** Node server. */
export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: MAX_UPLOAD_BYTES,
  maxPixels: MAX_PIXELS,
  defaultTopK: DEFAULT_TOP_K,
  maxDecodes: MAX_DECODES,
  maxQueue: MAX_QUEUE,
  bodyTimeoutSeconds: BODY_TIMEOUT_SECONDS,
};

/** Workers: sized for 128 MB per isolate with the model loaded (see core's limits.ts). */
export const WORKERS_DEFAULT_LIMITS: Limits = {
  maxBodyBytes: MAX_UPLOAD_BYTES,
  maxPixels: WORKERS_MAX_PIXELS,
  defaultTopK: DEFAULT_TOP_K,
  maxDecodes: WORKERS_MAX_DECODES,
  maxQueue: WORKERS_MAX_QUEUE,
  bodyTimeoutSeconds: BODY_TIMEOUT_SECONDS,
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
    bodyTimeoutSeconds: read('FERRY_BODY_TIMEOUT_S', defaults.bodyTimeoutSeconds),
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
