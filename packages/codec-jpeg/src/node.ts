/**
 * Node: compiles wasm/ferry-jpeg.wasm from disk once per process.
 */
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { createJpegDecoder, type JpegDecoder, type SplitHalf, type SplitHelper } from './index.js';

export * from './index.js';

let module: Promise<WebAssembly.Module> | undefined;
const compiled = (): Promise<WebAssembly.Module> => {
  module ??= readFile(new URL('../wasm/ferry-jpeg.wasm', import.meta.url)).then((bytes) =>
    WebAssembly.compile(bytes),
  );
  return module;
};

let decoder: Promise<JpegDecoder> | undefined;

/** The one-thread decoder (the trainer runs one per decoding worker). */
export function loadJpegDecoder(): Promise<JpegDecoder> {
  decoder ??= compiled().then((wasm) => createJpegDecoder(wasm));
  return decoder;
}

let splitDecoder: Promise<JpegDecoder> | undefined;

/**
 * A decoder that splits each big JPEG (≥ 512 KiB) between this thread and one worker thread
 * (src/split.ts), to the same pixels: faster when the machine has a core to spare (the Node
 * server's decode column in bench/REPORT.md §4b against the one-thread `ferry predict` path).
 * For a server answering one upload at a time on a machine with a spare core. The worker starts
 * with the decoder (~30-50 ms; decodes meanwhile run on one thread), keeps the process alive only
 * while it decodes, and a worker that dies only costs the speed-up.
 */
export function loadSplitJpegDecoder(): Promise<JpegDecoder> {
  splitDecoder ??= (async () => {
    const wasm = await compiled();
    return createJpegDecoder(wasm, { helper: workerSplitHelper(wasm) });
  })();
  return splitDecoder;
}

/** The helper half of a split decode on a worker thread (split-worker.ts). */
function workerSplitHelper(wasm: WebAssembly.Module): SplitHelper {
  // Beside the compiled file in dist/, from src/ (tests) and dist/ alike.
  const worker = new Worker(new URL('../dist/split-worker.js', import.meta.url), {
    workerData: { module: wasm },
  });
  const waiting = new Map<number, (half: SplitHalf | undefined) => void>();
  let next = 0;
  let dead = false;
  // The bytes go over in memory both threads see: copying into it is a memcpy, where
  // postMessage of a 4 MB copy cost the main thread ~3 ms. Calls are serialised by the decoder
  // (one split at a time), so the next request overwrites it only after the worker's answer.
  let shared = new SharedArrayBuffer(0);
  const giveUp = () => {
    dead = true;
    for (const settle of waiting.values()) settle(undefined);
    waiting.clear();
  };
  let booted = false;
  worker.on('message', (message: { id?: number; half?: SplitHalf; ready?: true }) => {
    if (message.ready) booted = true;
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message.half);
    waiting.delete(message.id);
    if (waiting.size === 0) worker.unref();
  });
  worker.on('error', giveUp);
  worker.on('exit', giveUp);
  // Referenced only while a half is awaited: the process may exit when idle, not mid-decode.
  // (After the listeners: attaching a 'message' listener refs the worker again.)
  worker.unref();
  return {
    ready: () => booted && !dead,
    speculate(bytes, eighths, permille) {
      if (dead) return Promise.resolve(undefined);
      const id = next++;
      if (shared.byteLength < bytes.byteLength)
        shared = new SharedArrayBuffer(Math.ceil(bytes.byteLength / 2 ** 20) * 2 ** 20);
      new Uint8Array(shared).set(bytes);
      return new Promise((settle) => {
        waiting.set(id, settle);
        worker.ref();
        worker.postMessage({ id, shared, length: bytes.byteLength, eighths, permille });
      });
    },
  };
}
