import { HttpError } from './errors.js';
import { formatBytes } from './limits.js';
import { findFormField, MultipartError } from './multipart.js';

/** Content types accepted as a raw image body. */
export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;

/**
 * How much of an over-limit body is still read (and discarded, never buffered) before the 413
 * goes out. Answering while the client is still uploading makes Node's HTTP server and
 * wrangler's dev proxy drop the connection, so ordinary clients would see a reset instead of
 * the JSON error; beyond this the stream is cancelled and the connection may be cut.
 */
export const DRAIN_FACTOR = 8;

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

export const tooLarge = (maxBytes: number) =>
  new HttpError(
    413,
    'body_too_large',
    `request body is larger than this server's ${formatBytes(maxBytes)} limit (${maxBytes} bytes, FERRY_MAX_BODY_BYTES)`,
  );

export const tooSlow = (timeoutMs: number) =>
  new HttpError(
    408,
    'body_timeout',
    `the upload did not finish arriving within ${Number((timeoutMs / 1000).toFixed(1))} s of the server starting to read it (FERRY_BODY_TIMEOUT_S)`,
  );

/**
 * Reads the body of a request, refusing it with 413 once it passes `maxBytes`: the
 * Content-Length header is checked first, then the stream is counted as it arrives, so a
 * lying or missing Content-Length cannot make the server buffer more than the limit. With
 * `timeoutMs`, a body still arriving after that long is cancelled and refused with 408: the
 * reader holds one of the few decode slots (see decode-gate.ts), and a slow uploader must not
 * hold it for everyone queued behind.
 */
export async function readBodyCapped(
  request: Request,
  maxBytes: number,
  timeoutMs?: number,
): Promise<Uint8Array> {
  const drainBudget = maxBytes * DRAIN_FACTOR;
  const declared = Number(request.headers.get('content-length'));
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  if (Number.isFinite(declared) && declared > maxBytes) {
    await drain(reader, drainBudget);
    throw tooLarge(maxBytes);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired =
    timeoutMs === undefined
      ? undefined
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(tooSlow(timeoutMs)), timeoutMs);
        });
  expired?.catch(() => {}); // observed by the race below; never an unhandled rejection
  const read = () => (expired ? Promise.race([reader.read(), expired]) : reader.read());
  // With an honest Content-Length the bytes go straight into one buffer of that size as they
  // arrive, so a body never exists twice (chunks + their concatenation) — on Workers that is
  // the difference between 16 phone photos fitting the isolate and not.
  let out = Number.isSafeInteger(declared) && declared > 0 ? new Uint8Array(declared) : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await read();
      if (done) break;
      if (total + value.byteLength > maxBytes) {
        chunks.length = 0;
        out = undefined;
        await drain(reader, drainBudget - total - value.byteLength);
        throw tooLarge(maxBytes);
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
  } catch (error) {
    if (error instanceof HttpError && error.status === 408) reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
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

const isRawImage = (request: Request): boolean =>
  (RAW_IMAGE_TYPES as readonly string[]).includes(mediaType(request.headers.get('content-type')));

/**
 * What can be refused from a classify request's headers alone, before it waits for a decode
 * slot: a content type other than an image or multipart (415) and a declared Content-Length
 * over the limit (413, after draining some of the body so the client sees the answer).
 */
export async function checkUploadHeaders(request: Request, maxBytes: number): Promise<void> {
  if (!isRawImage(request) && mediaType(request.headers.get('content-type')) !== 'multipart/form-data') {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `send the image as ${RAW_IMAGE_TYPES.join(', ')} or multipart/form-data with an "image" field`,
    );
  }
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discardBody(request, maxBytes);
    throw tooLarge(maxBytes);
  }
}

/**
 * Reads a request's whole body with `readBodyCapped`'s limits and answers (413, 408); a runtime
 * adapter may read it its own, faster way (the Node server reads Node's IncomingMessage).
 */
export type BodyReader = (maxBytes: number, timeoutMs?: number) => Promise<Uint8Array>;

/**
 * The image bytes of a classify request: the raw body for `image/*`, or the `image` field of
 * `multipart/form-data`. Anything else is 415; a multipart body without a file in `image` is 422;
 * a body still arriving `timeoutMs` after reading starts is 408. `readBody` reads the body
 * instead of the request's own stream (same limits, same answers).
 */
export async function readImageUpload(
  request: Request,
  maxBytes: number,
  timeoutMs?: number,
  readBody?: BodyReader,
): Promise<Uint8Array> {
  await checkUploadHeaders(request, maxBytes);
  const body = readBody
    ? await readBody(maxBytes, timeoutMs)
    : await readBodyCapped(request, maxBytes, timeoutMs);
  if (body.byteLength === 0) throw new HttpError(400, 'empty_body', 'request body is empty');
  if (isRawImage(request)) return body;

  // The capped bytes are parsed where they lie (multipart.ts): the file is a view, not a copy.
  let field: ReturnType<typeof findFormField>;
  try {
    field = findFormField(body, request.headers.get('content-type')!, 'image');
  } catch (error) {
    if (!(error instanceof MultipartError)) throw error;
    throw new HttpError(400, 'bad_request', `malformed multipart/form-data body: ${error.message}`);
  }
  if (field === undefined) throw new HttpError(422, 'missing_field', 'multipart body has no "image" field');
  if (field.kind === 'text') {
    throw new HttpError(422, 'missing_field', 'the "image" field must be a file, not a text value');
  }
  if (field.bytes.byteLength === 0) throw new HttpError(400, 'empty_body', 'the "image" file is empty');
  return field.bytes;
}
