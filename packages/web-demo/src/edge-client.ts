/**
 * Edge API mode: the raw photo goes to `POST {apiBase}/v1/classify`; the answer is
 * `{ model, predictions, timing_ms }` or `{ error: { code, message } }`.
 */
import type { ClassifyResponse } from '@ferry/core';

/** The edge API's answer, as core defines it. */
export type EdgeResponse = ClassifyResponse;

export class EdgeApiError extends Error {
  override name = 'EdgeApiError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** `apiBase` may be absolute or empty (same origin); a trailing slash is optional. */
export function classifyUrl(apiBase: string, base: string = document.baseURI): string {
  const trimmed = apiBase.trim();
  if (!trimmed) return new URL('/v1/classify', base).href;
  return new URL('v1/classify', trimmed.endsWith('/') ? trimmed : `${trimmed}/`).href;
}

function isEdgeResponse(value: unknown): value is EdgeResponse {
  const v = value as EdgeResponse | null;
  return (
    !!v &&
    Array.isArray(v.predictions) &&
    v.predictions.every((p) => typeof p?.label === 'string' && typeof p?.probability === 'number')
  );
}

export async function classifyOnEdge(
  apiBase: string,
  photo: Blob,
): Promise<{ response: EdgeResponse; roundTripMs: number }> {
  let url: string;
  try {
    url = classifyUrl(apiBase);
  } catch {
    throw new EdgeApiError(`“${apiBase}” is not a valid API address.`);
  }
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      body: photo,
      headers: { 'content-type': photo.type || 'application/octet-stream' },
    });
  } catch {
    throw new EdgeApiError(
      `could not reach the edge API at ${url}. Check the address, that the server is running, and that it allows requests from this page.`,
    );
  }
  const body: unknown = await res.json().catch(() => null);
  const roundTripMs = performance.now() - started;
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new EdgeApiError(
      error?.message
        ? `the edge API refused the photo: ${error.message}`
        : `the edge API answered HTTP ${res.status}.`,
      res.status,
      error?.code,
    );
  }
  if (!isEdgeResponse(body)) throw new EdgeApiError(`the edge API at ${url} sent an unexpected answer.`);
  return { response: body, roundTripMs };
}
