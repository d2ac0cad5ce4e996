/**
 * Request limits: core's values (the numbers the web page and the CLI use too), which both
 * adapters let the environment override (see README).
 */
import { DEFAULT_TOP_K, MAX_PIXELS, MAX_UPLOAD_BYTES } from '@ferry/core';

export interface Limits {
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Largest accepted width x height, checked from the image header before decoding. */
  maxPixels: number;
  /** Default `top_k` when the query omits it. */
  defaultTopK: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: MAX_UPLOAD_BYTES,
  maxPixels: MAX_PIXELS,
  defaultTopK: DEFAULT_TOP_K,
};

/** Limits from string settings (env vars / worker vars); ignores values that are not positive integers. */
export function limitsFromEnv(env: Record<string, unknown>): Limits {
  const read = (key: string, fallback: number): number => {
    const raw = env[key];
    const value = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
    return Number.isSafeInteger(value) && value > 0 ? value : fallback;
  };
  return {
    maxBodyBytes: read('FERRY_MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
    maxPixels: read('FERRY_MAX_PIXELS', DEFAULT_LIMITS.maxPixels),
    defaultTopK: read('FERRY_DEFAULT_TOP_K', DEFAULT_LIMITS.defaultTopK),
  };
}
