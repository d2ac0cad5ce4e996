/**
 * The backbone runner: a worker of the train worker's own that holds the onnxruntime-web session
 * and runs batches as they come. On its own thread, the backbone of one batch runs while the
 * train worker decodes and transforms the next (photo-features.ts): on 2 cores the two halves
 * overlap, where one thread did them one after the other. Input and output buffers move between
 * the threads (transferred, never copied) and go back to the sender for the next batch.
 */
// The wasm-only build: half the jsep build's 28 MB of wasm to fetch and compile, and the
// backbone runs on the CPU here anyway.
import * as ort from 'onnxruntime-web/wasm';
import type { FromRunner, ToRunner } from './runner-protocol.js';

const post = (message: FromRunner, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(message, transfer);

let session: ort.InferenceSession | undefined;

async function init(message: Extract<ToRunner, { type: 'init' }>): Promise<void> {
  ort.env.wasm.wasmPaths = message.ortBase;
  // One core is the train worker's (decoding the next batch); the runner's threads get the rest.
  // On the 2-core bench machine one backbone thread beside it finished flowers12's features
  // sooner, with a fifth less CPU, than two threads competing with it. Threads need
  // SharedArrayBuffer, i.e. a cross-origin-isolated page.
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated
    ? Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 1) - 1))
    : 1;
  try {
    session = await ort.InferenceSession.create(new Uint8Array(message.onnx), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      // Between batches the runner waits for the next: idle intra-op threads must sleep, not
      // spin on the cores the train worker decodes on.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    post({ type: 'ready' });
  } catch (error) {
    post({ type: 'init-error', message: (error as Error).message });
  }
}

async function run(message: Extract<ToRunner, { type: 'run' }>): Promise<void> {
  const { id, n, height, width } = message;
  const input = new Float32Array(message.input, 0, n * height * width * 3);
  try {
    if (!session) throw new Error('the backbone session is not ready');
    const out = await session.run({
      [session.inputNames[0]!]: new ort.Tensor('float32', input, [n, height, width, 3]),
    });
    const t = out[session.outputNames[0]!]!;
    const features = (t.data as Float32Array).slice();
    t.dispose();
    post({ type: 'out', id, features, input: message.input }, [features.buffer, message.input]);
  } catch (error) {
    post({ type: 'run-error', id, message: (error as Error).message, input: message.input }, [message.input]);
  }
}

self.addEventListener('message', (event: MessageEvent<ToRunner>) => {
  const message = event.data;
  if (message.type === 'init') void init(message);
  else void run(message);
});
