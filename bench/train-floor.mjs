#!/usr/bin/env node
/**
 * The physical floor of features-mode training on this machine: decode every photo once (the
 * trainer's decoder, one worker thread per core) plus one native backbone pass per view (onnxruntime-node,
 * batch 32, all cores, the converted backbone a Ferry run cached). Nothing else — no resizing,
 * no head, no start-up — so no implementation of the recipe can be faster than the sum.
 *
 * Usage: node bench/train-floor.mjs DATA_DIR BACKBONE_ONNX VIEWS_PER_TRAIN_IMAGE
 * Prints one JSON line: photos, views, decode and backbone wall seconds, their sum, CPU seconds.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { decodeImageBuffer } from '@ferry/trainer';

// A decode worker: says it is loaded, then on 'start' decodes its share of the files and posts
// how many decoded (start-up stays out of the timed decode, as the floor leaves out start-up).
if (!isMainThread) {
  parentPort.postMessage('ready');
  parentPort.once('message', async () => {
    let ok = 0;
    for (const file of workerData.files) {
      try {
        // The decode rule the default model stores: what the trainer decodes with.
        await decodeImageBuffer(readFileSync(file), file, { minShorterSide: 256, scales: 'eighths' });
        ok++;
      } catch {
        // an undecodable file costs what it costs; the trainer skips it the same way
      }
    }
    parentPort.postMessage(ok);
  });
}

// The measuring thread (the workers above only decode).
if (isMainThread) await main();

async function main() {
  const [data, onnxPath, viewsArg] = process.argv.slice(2);
  if (!data || !onnxPath || !viewsArg) {
    console.error('usage: train-floor.mjs DATA_DIR BACKBONE_ONNX VIEWS_PER_TRAIN_IMAGE');
    process.exit(2);
  }
  const viewsPerTrain = Number(viewsArg);
  const cores = availableParallelism();
  const files = (split) =>
    readdirSync(join(data, split))
      .filter((l) => statSync(join(data, split, l)).isDirectory())
      .flatMap((l) => readdirSync(join(data, split, l)).map((f) => join(data, split, l, f)));
  const train = files('train');
  const val = files('val');
  const allFiles = [...train, ...val];
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };

  // Decode: one worker thread per core, each with every `cores`-th file (JPEGs decode in wasm on
  // the calling thread, so decodes in flight on one thread would not use the other cores).
  const workers = await Promise.all(
    Array.from(
      { length: cores },
      (_, w) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            argv: process.argv.slice(2),
            workerData: { files: allFiles.filter((_, i) => i % cores === w) },
          });
          worker.once('message', () => resolve(worker));
          worker.once('error', reject);
        }),
    ),
  );
  const c0 = cpu();
  const t0 = performance.now();
  const counts = await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage('start');
        }),
    ),
  );
  const decodeS = (performance.now() - t0) / 1000;
  const decodeCpuS = cpu() - c0;
  await Promise.all(workers.map((worker) => worker.terminate()));
  const decoded = counts.reduce((a, b) => a + b, 0);

  // Backbone: one pass per view at batch 32 on random inputs in the model's range, with one
  // intra-op thread and with one per core; the floor takes the faster (on a loaded machine a
  // thread per core can stall on the cores other processes hold).
  const ort = await import('onnxruntime-node');
  const views = train.length * viewsPerTrain + val.length;
  const batch = 32;
  const input = Float32Array.from({ length: batch * 224 * 224 * 3 }, (_, i) => Math.sin(i) * 0.9);
  const backbone = {};
  for (const threads of [...new Set([1, cores])]) {
    const session = await ort.InferenceSession.create(readFileSync(onnxPath), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
    });
    const shape = (n) => [n, 224, 224, 3];
    const run = (n) =>
      session.run({
        [session.inputNames[0]]: new ort.Tensor('float32', input.subarray(0, n * 224 * 224 * 3), shape(n)),
      });
    await run(batch); // warm-up (graph optimisation, allocations): not a pass of the recipe
    const c1 = cpu();
    const t1 = performance.now();
    for (let done = 0; done < views; done += batch) await run(Math.min(batch, views - done));
    backbone[threads] = { s: (performance.now() - t1) / 1000, cpu_s: cpu() - c1 };
    await session.release();
  }
  const fastest = Object.entries(backbone).sort(([, a], [, b]) => a.s - b.s)[0];
  const backboneS = fastest[1].s;
  const backboneCpuS = fastest[1].cpu_s;

  const round = (x) => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      photos: allFiles.length,
      decoded,
      views,
      views_per_train_image: viewsPerTrain,
      cores,
      decode_s: round(decodeS),
      backbone_s: round(backboneS),
      floor_s: round(decodeS + backboneS),
      decode_ms_per_photo: round((decodeS * 1000) / allFiles.length),
      backbone_ms_per_view: round((backboneS * 1000) / views),
      backbone_threads: Number(fastest[0]),
      backbone_s_by_threads: Object.fromEntries(Object.entries(backbone).map(([t, b]) => [t, round(b.s)])),
      cpu_s: { decode: round(decodeCpuS), backbone: round(backboneCpuS) },
    }),
  );
}
