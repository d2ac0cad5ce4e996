/**
 * Admission control for classify requests, so memory stays bounded however many uploads arrive
 * at once. A Workers isolate has 128 MB for everything (model, wasm heaps, every request in
 * flight) and one isolate serves many requests concurrently; without a bound, 16 phone photos
 * at once are 16 bodies and 16 frames side by side, and the isolate dies (error 1102).
 *
 * Two bounds, in the order a request meets them:
 * - queue: at most `maxDecodes + maxQueue` classify requests are admitted, counted, not
 *   weighed; one more is refused at once with 503 and Retry-After, before its body is read.
 * - slots: at most `maxDecodes` requests read their body and decode + preprocess + classify at
 *   once (1 in an isolate: it has one thread, so more would only hold more bodies and frames at
 *   the same time). A waiting request's body is not read: it stays in the runtime's network
 *   buffers and the client's socket, not in the isolate's memory, so a burst of 16 phone photos
 *   holds one body at a time instead of 16.
 * Waits are first come, first served, and bounded: a request still waiting after `waitMs` gets
 * the same 503. The bound matters on workerd beyond politeness: a request whose only pending
 * work is a promise another request will resolve (and whose body nobody is reading) looks hung
 * to the runtime, which cancels it with a 500 ("would never generate a response"); the wait's
 * own timer is pending I/O of the waiting request, so it is not.
 */
import { HttpError } from './errors.js';

export interface DecodeGateOptions {
  /** Requests reading their body + decoding + classifying at once. */
  maxDecodes: number;
  /** Admitted requests beyond those holding a slot (waiting, body unread); more get the 503. */
  maxQueue: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds?: number;
}

export interface Admission {
  /**
   * Waits for a slot: the request may read its body and decode once this resolves. With
   * `waitMs`, throws the 503 (and leaves the queue) when no slot came free in that time.
   */
  decodeSlot(waitMs?: number): Promise<void>;
  /** Returns the slot (or leaves the queue). Safe to call twice, or while waiting. */
  release(): void;
}

export interface DecodeGate {
  /** Admits a request, or throws the 503 when the queue is full. */
  admit(): Admission;
  /** Live figures, for logs and tests. */
  stats(): { admitted: number; decoding: number; waitingDecode: number };
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
      let slotHeld = false;
      let released = false;
      return {
        async decodeSlot(waitMs) {
          const waiter: Waiter = {
            grant: () => {
              if (released) {
                decoding--;
                queueMicrotask(wake);
                return;
              }
              slotHeld = true;
              resolveGranted();
            },
          };
          let resolveGranted!: () => void;
          const granted = new Promise<void>((resolve) => {
            resolveGranted = resolve;
          });
          decodeWaiters.push(waiter);
          wake();
          if (waitMs === undefined || slotHeld) return granted;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const expired = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const index = decodeWaiters.indexOf(waiter);
              if (index < 0) return; // granted meanwhile: the race below takes the grant
              decodeWaiters.splice(index, 1);
              reject(
                new BusyError(
                  `busy: no upload finished being classified within ${Math.round(waitMs / 1000)} s while this one waited; retry in ${retryAfter} s`,
                  retryAfter,
                ),
              );
            }, waitMs);
          });
          try {
            await Promise.race([granted, expired]);
          } finally {
            // Cleared here, in the waiting request's own context, not by the request that granted.
            clearTimeout(timer);
          }
        },
        release() {
          if (released) return;
          released = true;
          admitted--;
          if (slotHeld) decoding--;
          slotHeld = false;
          wake();
        },
      };
    },
    stats: () => ({ admitted, decoding, waitingDecode: decodeWaiters.length }),
  };
}
