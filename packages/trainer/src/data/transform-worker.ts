/** Worker-thread side of the transform pool: runs jobs, sends the inputs back without copying. */
import { parentPort } from 'node:worker_threads';
import { runTransformJob, type TransformJob } from './transform-job.js';

parentPort?.on('message', async (message: { id: number; job: TransformJob }) => {
  const result = await runTransformJob(message.job);
  const transfer = 'inputs' in result ? result.inputs.map((a) => a.buffer as ArrayBuffer) : [];
  parentPort?.postMessage({ id: message.id, result }, transfer);
});
