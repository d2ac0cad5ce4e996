/**
 * Admission for classify requests (decode-gate.ts): past the queue a request is a 503 now, not
 * an isolate that runs out of memory later. It is admitted on its count alone and waits for a
 * decode slot with its body unread, so waiting uploads stay in the network buffers, not in
 * memory; what the headers already refuse (415, a declared body over the limit) does not queue.
 * The slot is held until the handler after it has answered.
 */
import { QUEUE_WAIT_SECONDS } from '@ferry/core';
import type { MiddlewareHandler } from 'hono';
import type { DecodeGate } from '../../decode-gate.js';
import { checkUploadHeaders, discardBody } from '../../read-upload.js';

export function decodeSlot(gate: DecodeGate, maxBodyBytes: number): MiddlewareHandler {
  return async (c, next) => {
    let admission: ReturnType<DecodeGate['admit']>;
    try {
      admission = gate.admit();
    } catch (error) {
      await discardBody(c.req.raw, maxBodyBytes);
      throw error;
    }
    try {
      await checkUploadHeaders(c.req.raw, maxBodyBytes);
      try {
        await admission.decodeSlot(QUEUE_WAIT_SECONDS * 1000);
      } catch (error) {
        await discardBody(c.req.raw, maxBodyBytes);
        throw error;
      }
      await next();
    } finally {
      admission.release();
    }
  };
}
