/** The page's side of the worker: one Worker, its messages dispatched to the view's handlers. */
import type { FromWorker, ToWorker } from './protocol.js';

export type WorkerHandlers = {
  [K in FromWorker['type']]: (message: Extract<FromWorker, { type: K }>) => void;
};

export function startTrainWorker(handlers: WorkerHandlers): (message: ToWorker) => void {
  const worker = new Worker(new URL('./worker/index.ts', import.meta.url), {
    type: 'module',
    name: 'ferry-train',
  });
  worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    (handlers[message.type] as (m: FromWorker) => void)(message);
  });
  worker.addEventListener('error', (event) => {
    handlers['init-error']({ type: 'init-error', message: `the training worker failed: ${event.message}` });
  });
  return (message) => worker.postMessage(message);
}
