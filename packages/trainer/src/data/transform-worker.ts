/** Worker-thread side of the transform pool: runs photo jobs, sends the floats back without copying. */
import { parentPort } from 'node:worker_threads';
import { type PhotoViewsJob, runPhotoViewsJob, transferablesOf } from './photo-views-job.js';

parentPort?.on('message', async (message: { id: number; job: PhotoViewsJob }) => {
  const result = await runPhotoViewsJob(message.job);
  parentPort?.postMessage({ id: message.id, result }, transferablesOf(result));
});
