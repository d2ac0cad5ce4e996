import { HttpError } from './errors.js';
import { formatBytes } from './limits.js';

/** Content types accepted as a raw image body. */
export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;

/**
 * How much of an over-limit body is still read (and discarded, never buffered) before the 413
 * goes out. Answering while the client is still uploading makes Node's HTTP server and
 * wrangler's dev proxy drop the connection, so ordinary clients would see a reset instead of
 * the JSON error; beyond this the stream is cancelled and the connection may be cut.
 */
const DRAIN_FACTOR = 8;

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  let drained = 0;
  try {
    while (drained <= budget) {
      const { done, value } = await reader.read();
      if (done) return;
      drained += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away; nothing left to answer.
  }
}

/**
 * Reads and discards a request's body (up to DRAIN_FACTOR x `maxBytes`) before an early refusal
 * such as the 503 of a full decode queue, for the same reason as the 413 drain above.
 */
export async function discardBody(request: Request, maxBytes: number): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  await drain(request.body.getReader(), maxBytes * DRAIN_FACTOR);
}

/**
 * Reads the body of a request, refusing it with 413 once it passes `maxBytes`: the
 * Content-Length header is checked first, then the stream is counted as it arrives, so a
 * lying or missing Content-Length cannot make the server buffer more than the limit.
 */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new HttpError(
      413,
      'body_too_large',
      `request body is larger than this server's ${formatBytes(maxBytes)} limit (${maxBytes} bytes, FERRY_MAX_BODY_BYTES)`,
    );
  const drainBudget = maxBytes * DRAIN_FACTOR;
  const declared = Number(request.headers.get('content-length'));
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  if (Number.isFinite(declared) && declared > maxBytes) {
    await drain(reader, drainBudget);
    throw tooLarge();
  }
  // With an honest Content-Length the bytes go straight into one buffer of that size as they
  // arrive, so a body never exists twice (chunks + their concatenation) — on Workers that is
  // the difference between 16 phone photos fitting the isolate and not.
  let out = Number.isSafeInteger(declared) && declared > 0 ? new Uint8Array(declared) : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      chunks.length = 0;
      out = undefined;
      await drain(reader, drainBudget - total - value.byteLength);
      throw tooLarge();
    }
    if (out && total + value.byteLength <= out.byteLength) out.set(value, total);
    else {
      // More than declared (a lying length): keep what came so far and collect the rest.
      if (out) chunks.push(out.subarray(0, total));
      out = undefined;
      chunks.push(value);
    }
    total += value.byteLength;
  }
  if (out) return total === out.byteLength ? out : out.subarray(0, total);
  if (chunks.length === 1) return chunks[0]!;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}

const mediaType = (header: string | null): string => (header ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * The image bytes of a classify request: the raw body for `image/*`, or the `image` field of
 * `multipart/form-data`. Anything else is 415; a multipart body without a file in `image` is 422.
 */
export async function readImageUpload(request: Request, maxBytes: number): Promise<Uint8Array> {
  const type = mediaType(request.headers.get('content-type'));
  const isRaw = (RAW_IMAGE_TYPES as readonly string[]).includes(type);
  if (!isRaw && type !== 'multipart/form-data') {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `send the image as ${RAW_IMAGE_TYPES.join(', ')} or multipart/form-data with an "image" field`,
    );
  }
  const body = await readBodyCapped(request, maxBytes);
  if (body.byteLength === 0) throw new HttpError(400, 'empty_body', 'request body is empty');
  if (isRaw) return body;

  // Re-wrap the capped bytes so the platform's own multipart parser never reads past the limit.
  let form: FormData;
  try {
    form = await new Request('http://local/', {
      method: 'POST',
      headers: { 'content-type': request.headers.get('content-type')! },
      body: body as Uint8Array<ArrayBuffer>,
    }).formData();
  } catch {
    throw new HttpError(400, 'bad_request', 'malformed multipart/form-data body');
  }
  const field = form.get('image');
  if (field === null) throw new HttpError(422, 'missing_field', 'multipart body has no "image" field');
  if (typeof field === 'string') {
    throw new HttpError(422, 'missing_field', 'the "image" field must be a file, not a text value');
  }
  const bytes = new Uint8Array(await field.arrayBuffer());
  if (bytes.byteLength === 0) throw new HttpError(400, 'empty_body', 'the "image" file is empty');
  return bytes;
}
