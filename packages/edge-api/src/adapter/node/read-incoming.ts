import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../../errors.js';
import { DRAIN_FACTOR, tooLarge, tooSlow } from '../../read-upload.js';

/**
 * Body buffers kept for the next requests. A new 4 MB buffer per phone photo (beside the 4 MB of
 * 64 KiB chunks Node allocates as it reads) made V8 run a full mark-compact every two or three
 * requests, often in the idle gap right before the next one arrived; reusing them took ~3 ms off
 * the Node p50 of a 12-MP upload (A/B, alternating builds). Sizes are rounded up to a MiB so
 * photos of similar size share buffers; at most POOL_SIZE buffers of at most POOL_MAX_BYTES are
 * kept (the RSS they hold after a burst of big uploads: 4 x 10 MiB at the default body limit).
 */
const POOL_SIZE = 4;
const POOL_MAX_BYTES = 16 * 2 ** 20;
const MiB = 2 ** 20;
const pool: Uint8Array[] = [];

/** A buffer of at least `size` bytes: a pooled one when one fits, else a new one. */
function takeBuffer(size: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < pool.length; i++)
    if (pool[i]!.byteLength >= size && (best === -1 || pool[i]!.byteLength < pool[best]!.byteLength))
      best = i;
  if (best !== -1) return pool.splice(best, 1)[0]!;
  return new Uint8Array(size <= POOL_MAX_BYTES ? Math.ceil(size / MiB) * MiB : size);
}

function giveBack(buffer: Uint8Array): void {
  if (pool.length < POOL_SIZE && buffer.byteLength <= POOL_MAX_BYTES) pool.push(buffer);
}

/** How many buffers the pool holds now (tests). */
export const pooledBodyBuffers = (): number => pool.length;

/**
 * The Node server's way to read a classify body: straight from Node's IncomingMessage, as its
 * 'data' events arrive, into one buffer of the declared size — the same limits and answers as
 * `readBodyCapped` (413 past `maxBytes` after draining some more, 408 past `timeoutMs`), without
 * the web ReadableStream that @hono/node-server otherwise wraps around the request. That
 * wrapper pulls with backpressure and a promise per 64 KiB chunk; on a 4 MB phone photo it cost
 * the server ~6-10 ms of the request (bench/REPORT.md §4b, Node row).
 */
export function readIncomingCapped(
  incoming: IncomingMessage,
  maxBytes: number,
  timeoutMs?: number,
  outgoing?: ServerResponse,
): Promise<Uint8Array> {
  const declared = Number(incoming.headers['content-length']);
  const drainBudget = maxBytes * DRAIN_FACTOR;
  return new Promise<Uint8Array>((resolve, reject) => {
    // With an honest Content-Length the bytes go into one buffer of that size as they arrive
    // (Node's parser never delivers more than it declares); without one, chunks are collected.
    // The buffer comes from the pool when there is a response to give it back on: once the
    // answer has been sent ('finish'), nothing of the request reads its body any more. (Not on
    // 'close' alone: a client that hangs up does not stop the request's own work at once.)
    let out: Uint8Array | undefined;
    if (Number.isSafeInteger(declared) && declared > 0 && declared <= maxBytes) {
      if (outgoing) {
        const buffer = takeBuffer(declared);
        outgoing.once('finish', () => giveBack(buffer));
        out = buffer.subarray(0, declared);
      } else out = new Uint8Array(declared);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    let refused: HttpError | undefined;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const finish = (error: unknown, body?: Uint8Array) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      if (error) reject(error);
      else resolve(body!);
    };
    // Past the drain budget, or out of time: stop reading. The answer still goes out; the
    // connection closes after it, so the rest of the upload is never read into the next request.
    const stop = () => {
      incoming.pause();
      if (outgoing && !outgoing.headersSent) outgoing.setHeader('connection', 'close');
      else incoming.destroy();
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (refused) {
        if (total > drainBudget) {
          stop();
          finish(refused);
        }
        return;
      }
      if (total > maxBytes) {
        refused = tooLarge(maxBytes);
        out = undefined;
        chunks.length = 0;
        if (total > drainBudget) {
          stop();
          finish(refused);
        }
        return;
      }
      if (out && total <= out.byteLength) out.set(chunk, total - chunk.byteLength);
      else {
        if (out) chunks.push(out.subarray(0, total - chunk.byteLength));
        out = undefined;
        chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    };
    const onEnd = () => {
      if (refused) return finish(refused);
      if (out) return finish(undefined, total === out.byteLength ? out : out.subarray(0, total));
      if (chunks.length === 1) return finish(undefined, chunks[0]!);
      const joined = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        joined.set(chunk, offset);
        offset += chunk.byteLength;
      }
      finish(undefined, joined);
    };
    // The client went away before the end (a reset, or a close): nobody will read the answer,
    // but the request must end now, freeing its decode slot, and be logged as what it was.
    const hungUp = () =>
      new HttpError(400, 'bad_request', 'the client closed the connection before the upload finished');
    const onError = () => finish(refused ?? hungUp());
    const onClose = () => {
      if (!incoming.complete) finish(refused ?? hungUp());
    };

    if (incoming.readableEnded) return finish(new Error('the request body was already read'));
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        stop();
        finish(tooSlow(timeoutMs));
      }, timeoutMs);
    }
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
