import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../../errors.js';
import { DRAIN_FACTOR, tooLarge, tooSlow } from '../../read-upload.js';

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
    let out =
      Number.isSafeInteger(declared) && declared > 0 && declared <= maxBytes
        ? new Uint8Array(declared)
        : undefined;
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
