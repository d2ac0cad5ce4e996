/**
 * Worker-thread side of the transform pool: runs photo jobs one at a time, in the order they
 * came, and sends the floats back without copying. One at a time matters: a worker is handed
 * up to a hundred jobs at once before the backbone loads, and running their reads and decodes
 * interleaved delayed the first result until nearly all of them were done.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { type ImageJob, runImageJob } from './image-job.js';
import { type PhotoViewsJob, runPhotoViewsJob, transferablesOf } from './photo-views-job.js';

/**
 * The decoders yield the CPU to the backbone: onnxruntime runs on the main thread, one batch at
 * a time, and every photo waits for it, while decoding can use whatever CPU is left. At equal
 * priority two decoders beside it on 2 cores left it 2/3 of a core (3.6 instead of 2.4 ms per
 * photo on the 224-px flowers, where the backbone is the bottleneck). Linux sets nice values per
 * thread (its id from /proc/thread-self): the workers go ten steps below the process's own
 * priority. Elsewhere this does nothing.
 */
function yieldToTheBackbone(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    // Relative to the process's own priority (a worker starts with it): ten steps below.
    if (Number.isInteger(threadId) && threadId > 0)
      setPriority(threadId, Math.min(19, getPriority(threadId) + 10));
  } catch {
    // Not Linux, or not allowed: the decoders keep the main thread's priority.
  }
}
yieldToTheBackbone();

let previous: Promise<void> = Promise.resolve();
parentPort?.on('message', (message: { id: number; job: PhotoViewsJob | ImageJob }) => {
  const { id, job } = message;
  previous = previous.then(async () => {
    if ('kind' in job) {
      const result = await runImageJob(job);
      parentPort?.postMessage(
        { id, result },
        'image' in result ? [result.image.data.buffer as ArrayBuffer] : [],
      );
      return;
    }
    const result = await runPhotoViewsJob(job);
    parentPort?.postMessage({ id, result }, transferablesOf(result));
  });
});
