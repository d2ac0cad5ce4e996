/**
 * The worker thread of a split decode (node.ts starts it): a second wasm instance that decodes
 * the second part of each big JPEG it is sent (split.ts, native/ferry_jpeg_split.c).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiate } from './instance.js';
import { speculateHalf } from './split.js';

interface Request {
  id: number;
  /** The JPEG is its first `length` bytes. */
  shared: SharedArrayBuffer;
  length: number;
  eighths: number;
  permille: number;
}

// The listener goes on at once, not after an await: a request sent while the module was still
// being evaluated was never delivered (one run in several hung on its first split).
const wasm = instantiate((workerData as { module: WebAssembly.Module }).module);
parentPort!.on('message', async ({ id, shared, length, eighths, permille }: Request) => {
  let half: ReturnType<typeof speculateHalf>;
  try {
    half = speculateHalf(await wasm, new Uint8Array(shared, 0, length), eighths, permille);
  } catch {
    half = undefined; // the decoder's own instance finds out and decodes alone
  }
  parentPort!.postMessage(
    { id, half },
    half ? [half.stream.buffer as ArrayBuffer, half.records.buffer as ArrayBuffer] : [],
  );
});
// Booted: until this arrives the decoder decodes alone rather than wait for a starting worker.
wasm.then(
  () => parentPort!.postMessage({ ready: true }),
  () => process.exit(1),
);
