/**
 * The photo worker: prepares batches of photos (photo-prep.ts) for the backbone's worker, which
 * started it, so decoding the next batch overlaps the backbone's run on this one.
 */
import type { PhotoJob } from '../protocol.js';
import { type PrepSetup, preparePhotos } from './photo-prep.js';

export type ToPhotoWorker = { type: 'batch'; seq: number; setup: PrepSetup; jobs: PhotoJob[] };
export type FromPhotoWorker =
  | { type: 'batch'; seq: number; batch: Awaited<ReturnType<typeof preparePhotos>> }
  | { type: 'failed'; seq: number; message: string };

const scope = self as unknown as Worker;

/**
 * One batch at a time, in the order asked: two interleaved batches would both finish late, and
 * the backbone waits for the first.
 */
let queue: Promise<unknown> = Promise.resolve();

scope.addEventListener('message', (event: MessageEvent<ToPhotoWorker>) => {
  const { seq, setup, jobs } = event.data;
  queue = queue
    .then(() => preparePhotos(setup, jobs))
    .then(
      (batch) =>
        scope.postMessage({ type: 'batch', seq, batch } satisfies FromPhotoWorker, [batch.input.buffer]),
      (error: unknown) =>
        scope.postMessage({
          type: 'failed',
          seq,
          message: (error as Error).message,
        } satisfies FromPhotoWorker),
    );
});
