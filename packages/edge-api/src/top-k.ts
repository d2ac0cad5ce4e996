import { HttpError } from './errors.js';

/**
 * `?top_k=N`: a positive integer; values above the label count are clamped to it (asking for
 * "everything" is legitimate), zero, negatives and non-numbers are a 400.
 */
export function parseTopK(raw: string | undefined, fallback: number, labelCount: number): number {
  if (raw === undefined || raw === '') return Math.min(fallback, labelCount);
  if (!/^\+?\d+$/.test(raw.trim())) {
    throw new HttpError(400, 'bad_request', 'top_k must be a positive integer');
  }
  const value = Number(raw.trim());
  if (!(value >= 1)) throw new HttpError(400, 'bad_request', 'top_k must be a positive integer');
  return Math.min(value, labelCount);
}
