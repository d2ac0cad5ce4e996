#!/usr/bin/env node --expose-gc
/**
 * What one Workers isolate holds, measured on the same code outside workerd (which reports only
 * its process RSS): the Workers app itself — createApp with the JS/wasm decoders, onnxruntime-web
 * (wasm, one thread) and the Workers default limits — in one Node isolate, where
 * `process.memoryUsage()` splits V8 heap from external memory (ArrayBuffers, wasm memories:
 * what Cloudflare's 128 MB counts). Figures: idle, with the model loaded, the peak while 16
 * 12-MP JPEGs arrive at once, the peak for each kind of upload (a whole-frame PNG at the Workers
 * pixel limit, 12- and 16-MP progressive JPEGs, a 24-MP screenshot PNG, a 12-MP lossy WebP, and
 * lossless and alpha WebPs just under the limit) and for 16 of them mixed.
 *
 * Usage: node --expose-gc bench/isolate-memory.mjs MODEL.onnx JPEG_12MP
 * Prints one JSON object (bench/out/isolate-memory.json).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, createModelLoader, WORKERS_DEFAULT_LIMITS } from '@ferry/edge-api';
import { createJsDecoder, initJpeg, initPng, initWebp } from '@ferry/edge-api/decoders';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const [modelPath, jpegPath] = process.argv.slice(2);
if (!modelPath || !jpegPath || !globalThis.gc) {
  console.error('usage: node --expose-gc bench/isolate-memory.mjs MODEL.onnx JPEG_12MP');
  process.exit(2);
}
const MiB = 2 ** 20;
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
const compile = (path) => WebAssembly.compile(readFileSync(path));
// Each codec's committed wasm, beside its package's dist/.
const codecWasm = (name) =>
  join(dirname(require.resolve(`@ferry/codec-${name}`)), `../wasm/ferry-${name}.wasm`);
initJpeg(await compile(codecWasm('jpeg')));
initPng(await compile(codecWasm('png')));
initWebp(await compile(codecWasm('webp')));

const isolateBytes = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
let peak = 0;
const sample = () => {
  peak = Math.max(peak, isolateBytes());
};
const decode = createJsDecoder();
const app = createApp({
  loadModel: createModelLoader({
    readBytes: async () => new Uint8Array(readFileSync(modelPath)),
    createSession: (bytes) => ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] }),
    Tensor: ort.Tensor,
  }),
  // Keeps the decoder's streamsRows, so the limits count what this decoder holds.
  decodeImage: Object.assign(
    async (bytes, header, rule) => {
      const image = await decode(bytes, header, rule);
      sample(); // the frame exists now: the peak of a decode
      return image;
    },
    { streamsRows: decode.streamsRows },
  ),
  limits: WORKERS_DEFAULT_LIMITS,
  log: () => {},
});
/**
 * A request whose body streams 64 KiB views of one shared buffer, as bytes arrive from a socket:
 * the harness itself holds no per-request copy, so what is measured is what the app holds.
 */
const post = (bytes, type) => {
  let offset = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 65536));
      offset += 65536;
    },
  });
  return app.request('/v1/classify', {
    method: 'POST',
    headers: { 'content-type': type, 'content-length': String(bytes.byteLength) },
    body,
    duplex: 'half',
  });
};
const settle = () => {
  globalThis.gc();
  return isolateBytes();
};
const mib = (b) => Math.round((b / MiB) * 10) / 10;

const idle = settle();
const jpeg = new Uint8Array(readFileSync(jpegPath));
const first = await post(jpeg, 'image/jpeg');
const loaded = settle();
peak = 0;
const timer = setInterval(sample, 5);
const burst = await Promise.all(Array.from({ length: 16 }, () => post(jpeg, 'image/jpeg')));
clearInterval(timer);
sample();
const burstPeak = peak;
const statuses = {};
for (const r of burst) statuses[r.status] = (statuses[r.status] ?? 0) + 1;

// What each kind of upload holds at its peak (issue 26): the whole-frame worst case the limit
// admits (an interlaced RGBA PNG just under it: interlaced PNGs are decoded whole), a 12-MP
// progressive JPEG (libjpeg's coefficients), a 24-MP screenshot PNG (streamed row by row).
const side = Math.floor(Math.sqrt(WORKERS_DEFAULT_LIMITS.maxPixels * 1.5));
const [w, h] = [side, Math.floor(WORKERS_DEFAULT_LIMITS.maxPixels / side)];
const png = new Uint8Array(
  await sharp(jpegPath)
    .resize(w, h, { fit: 'fill' })
    .blur(30)
    .ensureAlpha(0.9)
    .png({ compressionLevel: 9, progressive: true })
    .toBuffer(),
);
const progressive12 = new Uint8Array(
  await sharp(jpegPath)
    .resize(4032, 3024, { fit: 'fill' })
    .jpeg({ quality: 85, progressive: true })
    .toBuffer(),
);
const screenshot24 = new Uint8Array(
  await sharp({ create: { width: 6000, height: 4000, channels: 3, background: '#f4f4f6' } })
    .composite([
      {
        input: { create: { width: 1200, height: 4000, channels: 3, background: '#dde1ea' } },
        left: 0,
        top: 0,
      },
      // A photo inset small enough that the PNG stays under the 10 MiB body limit.
      { input: await sharp(jpegPath).resize(1600, 1200).toBuffer(), left: 2000, top: 900 },
    ])
    .png({ compressionLevel: 9 })
    .toBuffer(),
);
const one = async (bytes, type, width, height) => {
  settle();
  peak = 0;
  const timer = setInterval(sample, 5);
  const answer = await post(bytes, type);
  clearInterval(timer);
  sample();
  return {
    width,
    height,
    bytes: bytes.byteLength,
    status: answer.status,
    peak_mib: mib(peak),
    above_loaded_mib: mib(peak - loaded),
  };
};
const pngAtLimit = await one(png, 'image/png', w, h);
const progressive16 = new Uint8Array(
  await sharp(jpegPath)
    .resize(4608, 3456, { fit: 'fill' })
    .jpeg({ quality: 85, progressive: true })
    .toBuffer(),
);
const webp12 = new Uint8Array(
  await sharp(jpegPath).resize(4032, 3024, { fit: 'fill' }).webp({ quality: 80 }).toBuffer(),
);
/**
 * The largest WebP of this kind the limit admits, within 10 %: WebPs that codec-webp decodes whole
 * (lossless) or with an alpha plane cost 4-5 bytes a pixel, so they are what the limit stops.
 */
const webpAtLimit = async (encode) => {
  for (let pixels = WORKERS_DEFAULT_LIMITS.maxPixels * 4.2; ; pixels *= 0.9) {
    const width = Math.round(Math.sqrt(pixels * 1.5));
    const height = Math.round(pixels / width);
    const bytes = new Uint8Array(
      await encode(sharp(jpegPath).resize(width, height, { fit: 'fill' }).blur(3)).toBuffer(),
    );
    const measured = await one(bytes, 'image/webp', width, height);
    if (measured.status === 200) return { bytes, measured };
  }
};
const lossless = await webpAtLimit((image) => image.webp({ lossless: true, effort: 0 }));
const alpha = await webpAtLimit((image) => image.ensureAlpha(0.8).webp({ quality: 80, alphaQuality: 90 }));
const uploads = {
  'progressive JPEG 4032x3024': await one(progressive12, 'image/jpeg', 4032, 3024),
  'progressive JPEG 4608x3456': await one(progressive16, 'image/jpeg', 4608, 3456),
  'screenshot PNG 6000x4000': await one(screenshot24, 'image/png', 6000, 4000),
  'lossy WebP 4032x3024': await one(webp12, 'image/webp', 4032, 3024),
  'lossless WebP at the limit': lossless.measured,
  'WebP with alpha at the limit': alpha.measured,
};

// Worst case the limits admit: 16 mixed uploads at once (baseline and progressive phone JPEGs,
// the 24-MP screenshot, the whole-frame PNG at the limit, a lossy phone WebP, the lossless and
// alpha WebPs at the limit), one decoding at a time.
settle();
peak = 0;
const timer2 = setInterval(sample, 5);
const kinds = [
  [jpeg, 'image/jpeg'],
  [progressive16, 'image/jpeg'],
  [screenshot24, 'image/png'],
  [png, 'image/png'],
  [webp12, 'image/webp'],
  [lossless.bytes, 'image/webp'],
  [progressive12, 'image/jpeg'],
  [alpha.bytes, 'image/webp'],
];
const mixed = await Promise.all(Array.from({ length: 16 }, (_, i) => post(...kinds[i % kinds.length])));
clearInterval(timer2);
sample();
const mixedStatuses = {};
for (const r of mixed) mixedStatuses[r.status] = (mixedStatuses[r.status] ?? 0) + 1;
const mixedPeak = peak;

// The heaviest kind per admitted pixel, 16 at once: each lossless WebP at the limit grows a wasm
// heap that is dropped after its decode, and the next may start before the last is collected.
settle();
peak = 0;
const timer3 = setInterval(sample, 5);
const heaviest = await Promise.all(Array.from({ length: 16 }, () => post(lossless.bytes, 'image/webp')));
clearInterval(timer3);
sample();
const heaviestStatuses = {};
for (const r of heaviest) heaviestStatuses[r.status] = (heaviestStatuses[r.status] ?? 0) + 1;
const heaviestPeak = peak;

const result = {
  date: new Date().toISOString(),
  what: 'V8 heapUsed + external (ArrayBuffers, wasm memories) of the Workers app in one Node isolate',
  limits: WORKERS_DEFAULT_LIMITS,
  idle_mib: mib(idle),
  model_loaded_mib: mib(loaded),
  first_status: first.status,
  burst_16_jpeg: {
    bytes: jpeg.byteLength,
    peak_mib: mib(burstPeak),
    above_loaded_mib: mib(burstPeak - loaded),
    statuses,
  },
  burst_mixed: {
    peak_mib: mib(mixedPeak),
    above_loaded_mib: mib(mixedPeak - loaded),
    statuses: mixedStatuses,
  },
  burst_lossless_webp: {
    peak_mib: mib(heaviestPeak),
    above_loaded_mib: mib(heaviestPeak - loaded),
    statuses: heaviestStatuses,
  },
  png_at_limit: pngAtLimit,
  uploads,
};
mkdirSync(join(here, 'out'), { recursive: true });
const out = join(here, 'out/isolate-memory.json');
writeFileSync(`${out}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
console.log(JSON.stringify(result));
