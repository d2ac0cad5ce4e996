/**
 * Admission control for classify requests, so memory stays bounded however many uploads arrive
 * at once. A Workers isolate has 128 MB for everything (model, wasm heaps, every request in
 * flight) and one isolate serves many requests concurrently; without a bound, 16 phone photos
 * at once are 16 bodies and 16 frames side by side, and the isolate dies (error 1102).
 *
 * Three bounds, in the order a request meets them:
 * - queue: at most `maxDecodes + maxQueue` classify requests are admitted; one more is refused
 *   at once with 503 and Retry-After, before a byte of its body is read.
 * - bytes: an admitted request reserves its declared Content-Length (or the body limit when it
 *   declares none) before reading its body; when `maxQueuedBytes` are already reserved by
 *   others it gets the same 503 instead. (Waiting for bytes instead, with the body left in the
 *   client's socket, looks like a hung request to workerd, which cancels it.)
 * - decodes: at most `maxDecodes` decode + preprocess + inference sections run at once (1 in an
 *   isolate: it has one thread, so more would only hold more frames at the same time).
 * All waits are first come, first served.
 */
import { HttpError } from './errors.js';

export interface DecodeGateOptions {
  /** Decode + classify sections running at once. */
  maxDecodes: number;
  /** Admitted requests beyond those decoding (reading or waiting); more get the 503. */
  maxQueue: number;
  /** Upload bytes reserved at once (being read, waiting and decoding). */
  maxQueuedBytes: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds?: number;
}

export interface Admission {
  /** Reserves the body's bytes before reading it, or throws the 503 when they do not fit. */
  reserve(bytes: number): void;
  /** Waits for a decode slot. */
  decodeSlot(): Promise<void>;
  /** Returns the reserved bytes and the decode slot. Safe to call twice, or while waiting. */
  release(): void;
}

export interface DecodeGate {
  /** Admits a request, or throws the 503 when the queue is full. */
  admit(): Admission;
  /** Live figures, for logs and tests. */
  stats(): { admitted: number; reservedBytes: number; decoding: number; waitingDecode: number };
}

export class BusyError extends HttpError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(503, 'busy', message);
  }
}

interface Waiter {
  grant: () => void;
}

export function createDecodeGate(options: DecodeGateOptions): DecodeGate {
  const retryAfter = options.retryAfterSeconds ?? 1;
  let admitted = 0;
  let reservedBytes = 0;
  let decoding = 0;
  const decodeWaiters: Waiter[] = [];

  const wake = () => {
    while (decoding < options.maxDecodes && decodeWaiters.length > 0) {
      decoding++;
      decodeWaiters.shift()!.grant();
    }
  };

  return {
    admit() {
      if (admitted >= options.maxDecodes + options.maxQueue) {
        throw new BusyError(
          `busy: ${admitted} uploads are already queued or being classified; retry in ${retryAfter} s`,
          retryAfter,
        );
      }
      admitted++;
      let bytesHeld = 0;
      let slotHeld = false;
      let released = false;
      return {
        reserve(bytes) {
          // One body larger than the whole budget still proceeds alone: the body limit judges it.
          if (reservedBytes > 0 && reservedBytes + bytes > options.maxQueuedBytes) {
            throw new BusyError(
              `busy: ${admitted - 1} other uploads hold ${Math.round(reservedBytes / 2 ** 20)} MiB of this server's ${Math.round(options.maxQueuedBytes / 2 ** 20)} MiB upload budget; retry in ${retryAfter} s`,
              retryAfter,
            );
          }
          reservedBytes += bytes - bytesHeld;
          bytesHeld = bytes;
        },
        decodeSlot() {
          return new Promise<void>((resolve) => {
            decodeWaiters.push({
              grant: () => {
                if (released) {
                  decoding--;
                  queueMicrotask(wake);
                  return;
                }
                slotHeld = true;
                resolve();
              },
            });
            wake();
          });
        },
        release() {
          if (released) return;
          released = true;
          admitted--;
          reservedBytes -= bytesHeld;
          bytesHeld = 0;
          if (slotHeld) decoding--;
          slotHeld = false;
          wake();
        },
      };
    },
    stats: () => ({
      admitted,
      reservedBytes,
      decoding,
      waitingDecode: decodeWaiters.length,
    }),
  };
}
