/**
 * Reading, hashing, decoding (wasm libjpeg-turbo) and core's resize/crop/normalize are all
 * JavaScript or wasm: on the main thread they would be the slowest part of features-mode
 * extraction (about 5 ms per 500x375 photo against 2.4 ms for the backbone on onnxruntime). The
 * pool runs whole photo jobs (photo-views-job.ts) on worker threads, one per core. Where the
 * compiled worker is missing (tests running TypeScript sources) callers run jobs in-process.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ImageJob, type ImageResult, runImageJob } from './image-job.js';
import { type PhotoViewsJob, type PhotoViewsResult, runPhotoViewsJob } from './photo-views-job.js';

export interface TransformPool {
  size: number;
  run(job: PhotoViewsJob): Promise<PhotoViewsResult>;
  /** One decoded, transformed image (report thumbnails). */
  image(job: ImageJob): Promise<ImageResult>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  pending: Map<number, (r: PhotoViewsResult & ImageResult) => void>;
}

/** The compiled worker beside this module (dist/data/transform-worker.js), if there is one. */
export function defaultWorkerUrl(): URL | undefined {
  const url = new URL('./transform-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

export function createTransformPool(
  size = availableParallelism(),
  workerUrl: URL | undefined = defaultWorkerUrl(),
): TransformPool | undefined {
  if (!workerUrl || size < 1) return undefined;
  let nextId = 0;
  let failure: Error | undefined;
  // Workers start on the first job: a run whose features are all cached starts none.
  let slots: Slot[] | undefined;
  const start = (): Slot[] =>
    Array.from({ length: size }, () => {
      const slot: Slot = { worker: new Worker(workerUrl), pending: new Map() };
      slot.worker.on('message', (m: { id: number; result: PhotoViewsResult & ImageResult }) => {
        const resolve = slot.pending.get(m.id);
        slot.pending.delete(m.id);
        resolve?.(m.result);
      });
      slot.worker.on('error', (error) => {
        // A dead worker fails the jobs it held (skipped with the reason, never a hang); later jobs
        // run in-process.
        failure = error;
        for (const resolve of slot.pending.values())
          resolve({ error: `transform worker failed: ${error.message}` });
        slot.pending.clear();
      });
      return slot;
    });
  const post = <R>(job: PhotoViewsJob | ImageJob, transfer: ArrayBuffer[]): Promise<R> => {
    slots ??= start();
    const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = nextId++;
    return new Promise((resolve) => {
      slot.pending.set(id, resolve as (r: PhotoViewsResult & ImageResult) => void);
      slot.worker.postMessage({ id, job }, transfer);
    });
  };
  return {
    size,
    run(job) {
      if (failure) return runPhotoViewsJob(job);
      // Spare buffers move to the worker (transferred, not copied).
      return post(job, job.spare ?? []);
    },
    image(job) {
      if (failure) return runImageJob(job);
      return post(job, []);
    },
    async close() {
      await Promise.all((slots ?? []).map((s) => s.worker.terminate()));
    },
  };
}
