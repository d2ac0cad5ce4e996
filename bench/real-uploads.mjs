#!/usr/bin/env node
/**
 * Real uploads: phone-camera-sized photos through every runtime, made at bench time (never
 * committed). Inputs: a real large photo (Debian's mate-backgrounds, Elephants_5640x3172.jpg, as
 * shipped and resized to 12 and 24 MP), val photos upscaled to 12 and 24 MP (quality 90), a
 * 12-MP PNG, and a 500x375 val JPEG as the baseline. For each: sequential requests to local
 * workerd and the Node server (p50/p99 end to end, and the server's own timing split), and the
 * `ferry predict` path in-process (decodeImageFile with the model's decode rule + onnxruntime-node),
 * and the web page in Chromium (the site built for the model with Vite, served by the Node server;
 * in the page: the file fetched as a Blob, then its own decodeImage + classify, timed in the page).
 * Then memory: workerd and Node server RSS with the model loaded, and the peak while 16 12-MP
 * uploads arrive at once, with the default limits (and the statuses they got); and the isolate's
 * own heap + external memory for the same burst and for a PNG at the Workers pixel limit
 * (bench/isolate-memory.mjs: the Workers app in one Node isolate).
 *
 * Also: progressive JPEGs (12 and 16 MP), the phone photo as WebP, screenshots (iPad, Retina Mac,
 * iPhone, 24 MP) as PNG; 16 of all these mixed at once against workerd; and the progressive
 * photos' decode at 1/8 with the Workers build's JPEG decoder, and the wasm memory it keeps.
 *
 * Usage: FERRY_MODEL=run/model.onnx FERRY_DATA_DIR=... node bench/real-uploads.mjs [--repeat 15]
 * Prints one JSON object and writes bench/out/real-uploads.json. Every server runs with its
 * default limits, so an input a runtime refuses shows its status (the 12-MP photo PNG is over the
 * 10 MiB body limit; a 12-MP WebP is decoded whole and over the Workers budget).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClassifier, readModelSpecFromOnnx } from '@ferry/core';
import { startNodeServer } from '@ferry/edge-api/node';
import { startNode, startWorkerd } from '@ferry/edge-api/testing';
import { decodeImageFile } from '@ferry/trainer';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
const WEB_DEMO = join(dirname(fileURLToPath(import.meta.url)), '../packages/web-demo');

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { repeat: { type: 'string', default: '15' } } });
const repeat = Number(values.repeat);
const modelPath = resolve(process.env.FERRY_MODEL ?? join(here, '../runs/demo/model.onnx'));
const valRoot = process.env.FERRY_DATA_DIR && join(process.env.FERRY_DATA_DIR, 'hymenoptera_data/val');
if (!existsSync(modelPath) || !valRoot || !existsSync(valRoot)) {
  console.error(
    'real-uploads: needs FERRY_MODEL (a ferry-exported .onnx) and FERRY_DATA_DIR/hymenoptera_data',
  );
  process.exit(2);
}
const MATE = '/usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg';

const round = (x) => Math.round(x * 100) / 100;
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const summary = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)) };
};

/** RSS (MiB) of the largest process of a kind started under this one. */
function childRssMiB(match) {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
  const children = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows)
      if (children.has(ppid) && !children.has(pid)) {
        children.add(pid);
        grew = true;
      }
  }
  let best = 0;
  for (const [pid, , rss, ...args] of rows)
    if (children.has(pid) && pid !== String(process.pid) && match(args.join(' ')))
      best = Math.max(best, Number(rss));
  return best / 1024;
}

async function makeInputs(dir) {
  const val = join(valRoot, 'bees');
  const valPhoto = join(val, readdirSync(val).sort()[5]);
  const baseline = join(valRoot, 'ants', readdirSync(join(valRoot, 'ants')).sort()[0]);
  const inputs = [{ name: '500x375 val JPEG (baseline)', path: baseline, type: 'image/jpeg' }];
  const write = async (name, file, type, image) => {
    const path = join(dir, file);
    writeFileSync(path, await image.toBuffer());
    inputs.push({ name, path, type });
  };
  if (existsSync(MATE)) {
    inputs.push({
      name: 'real photo 5640x3172 JPEG as shipped (mate-backgrounds)',
      path: MATE,
      type: 'image/jpeg',
    });
    await write(
      'real photo -> 4032x3024 JPEG q90 (12 MP)',
      'real-12mp.jpg',
      'image/jpeg',
      sharp(MATE).resize(4032, 3024).jpeg({ quality: 90 }),
    );
    // Cameras write restart markers (six of the seven shared photos have them), which sharp
    // cannot: the same 12-MP photo through Debian's cjpeg with a marker per MCU row.
    if (spawnSync('sh', ['-c', 'command -v cjpeg'], { stdio: 'ignore' }).status === 0) {
      const { data, info } = await sharp(MATE).resize(4032, 3024).raw().toBuffer({ resolveWithObject: true });
      const ppm = join(dir, 'real-12mp.ppm');
      writeFileSync(ppm, Buffer.concat([Buffer.from(`P6\n${info.width} ${info.height}\n255\n`), data]));
      const path = join(dir, 'real-12mp-restarts.jpg');
      writeFileSync(
        path,
        execFileSync('cjpeg', ['-quality', '90', '-restart', '1', ppm], { maxBuffer: 2 ** 26 }),
      );
      inputs.push({
        name: 'real photo -> 4032x3024 JPEG q90, restart markers (cjpeg -restart 1)',
        path,
        type: 'image/jpeg',
      });
    } else {
      console.error(
        'real-uploads: no cjpeg (apt-get install libjpeg-turbo-progs): the restart-marker input is left out',
      );
    }
    await write(
      'real photo -> 6000x4000 JPEG q90 (24 MP)',
      'real-24mp.jpg',
      'image/jpeg',
      sharp(MATE).resize(6000, 4000).jpeg({ quality: 90 }),
    );
  }
  await write(
    'val photo upscaled 4032x3024 JPEG q90 (12 MP)',
    'val-12mp.jpg',
    'image/jpeg',
    sharp(valPhoto).resize(4032, 3024, { fit: 'fill' }).jpeg({ quality: 90 }),
  );
  await write(
    'val photo upscaled 6000x4000 JPEG q90 (24 MP)',
    'val-24mp.jpg',
    'image/jpeg',
    sharp(valPhoto).resize(6000, 4000, { fit: 'fill' }).jpeg({ quality: 90 }),
  );
  await write(
    'val photo upscaled 4032x3024 PNG (12 MP)',
    'val-12mp.png',
    'image/png',
    sharp(valPhoto).resize(4032, 3024, { fit: 'fill' }).png({ compressionLevel: 6 }),
  );
  // What else people upload: the same phone photo saved progressive (photo editors, web
  // downloads) and as WebP, a 16-MP progressive JPEG, and screenshots (PNG) of an iPad, a Retina
  // Mac, an iPhone and a 24-MP display: flat panels and rows of text around a photo.
  const phone = existsSync(MATE)
    ? sharp(MATE).resize(4032, 3024)
    : sharp(valPhoto).resize(4032, 3024, { fit: 'fill' });
  await write(
    'phone photo 4032x3024, progressive JPEG',
    'phone-progressive.jpg',
    'image/jpeg',
    phone.clone().jpeg({ quality: 85, progressive: true }),
  );
  await write('phone photo 4032x3024, WebP', 'phone.webp', 'image/webp', phone.clone().webp({ quality: 80 }));
  await write(
    '4608x3456 progressive JPEG (16 MP)',
    'progressive-16mp.jpg',
    'image/jpeg',
    sharp(existsSync(MATE) ? MATE : valPhoto)
      .resize(4608, 3456, { fit: 'fill' })
      .jpeg({ quality: 85, progressive: true }),
  );
  for (const [name, width, height] of [
    ['iPad screenshot 2048x2732 PNG', 2048, 2732],
    ['Mac Retina screenshot 2880x1800 PNG', 2880, 1800],
    ['iPhone screenshot 1170x2532 PNG', 1170, 2532],
    ['24-MP screenshot 6000x4000 PNG', 6000, 4000],
  ])
    await write(
      name,
      `${name.split(' ')[0]}-${width}x${height}.png`,
      'image/png',
      await screenshot(width, height, valPhoto),
    );
  for (const input of inputs) input.bytes = readFileSync(input.path);
  return inputs;
}

/** A screenshot-like PNG: a title bar, a sidebar, rows of "text" and a photo in the middle. */
async function screenshot(width, height, photo) {
  const panel = (w, h, background) => ({ create: { width: w, height: h, channels: 3, background } });
  const text = [];
  for (let y = Math.round(height * 0.1); y < height - 20; y += 28)
    for (let x = Math.round(width * 0.24), i = 0; x < width - 120 && i < 12; i++) {
      const w = 20 + ((x * 7 + y * 13) % 90);
      text.push({ input: panel(w, 10, '#222233'), left: x, top: y });
      x += w + 9;
    }
  const inset = await sharp(photo)
    .resize(Math.round(width * 0.4), Math.round(height * 0.3), { fit: 'fill' })
    .toBuffer();
  return sharp(panel(width, height, '#f4f4f6'))
    .composite([
      { input: panel(width, Math.round(height * 0.06), '#3a4a6a'), left: 0, top: 0 },
      { input: panel(Math.round(width * 0.2), height, '#dde1ea'), left: 0, top: 0 },
      ...text,
      { input: inset, left: Math.round(width * 0.45), top: Math.round(height * 0.35) },
    ])
    .png({ compressionLevel: 9 });
}

async function post(url, input, retried = false) {
  const t0 = performance.now();
  let res;
  try {
    res = await fetch(`${url}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': input.type },
      body: input.bytes,
    });
  } catch (error) {
    // fetch keeps its connection between requests; while curl runs (up to ~15 s on the 16 MB
    // photo) the server may close it as idle, and fetch does not retry a POST on the stale
    // socket (EPIPE). One fresh attempt, timed on its own; a second failure is real.
    if (retried || !/EPIPE|ECONNRESET|UND_ERR_SOCKET/.test(String(error?.cause?.code ?? error?.cause)))
      throw error;
    return post(url, input, true);
  }
  const body = await res.json();
  return { ms: performance.now() - t0, status: res.status, body };
}

const hasCurl = spawnSync('sh', ['-c', 'command -v curl'], { stdio: 'ignore' }).status === 0;

/**
 * The same upload from curl, the issue's own client, one process per request (a fresh
 * connection, as a phone's upload mostly is): its time_total, first byte out to last byte in.
 * fetch above shares this 2-core machine with the server and spends CPU of its own on each big
 * body; curl, a C program, spends less. `Expect:` off: curl waits 1 s for a 100-continue that
 * local workerd never sends (see README).
 */
function timeCurl(url, input) {
  if (!hasCurl) return undefined;
  const ms = [];
  for (let i = 0; i < repeat + 2; i++) {
    const run = spawnSync(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{time_total}',
        '-H',
        'Expect:',
        '-H',
        `content-type: ${input.type}`,
        '--data-binary',
        `@${input.path}`,
        `${url}/v1/classify`,
      ],
      { encoding: 'utf8' },
    );
    const [status, seconds] = run.stdout.trim().split(' ');
    if (status !== '200') return { status: Number(status) };
    if (i >= 2) ms.push(Number(seconds) * 1000);
  }
  return summary(ms);
}

async function timeServer(url, input) {
  for (let i = 0; i < 2; i++) await post(url, input); // warm: JIT, wasm tiers, buffers grown
  const ms = [];
  const split = { decode: [], preprocess: [], inference: [] };
  let status = 200;
  let top1;
  for (let i = 0; i < repeat; i++) {
    const r = await post(url, input);
    status = r.status;
    if (r.status !== 200) return { status, error: r.body.error?.message };
    ms.push(r.ms);
    top1 = r.body.predictions[0].label;
    for (const k of Object.keys(split)) split[k].push(r.body.timing_ms[k]);
  }
  return {
    status,
    top1,
    end_to_end_ms: summary(ms),
    curl_end_to_end_ms: timeCurl(url, input),
    server_p50_ms: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, summary(v).p50])),
  };
}

async function timePredictPath(input, classifier, rule) {
  const once = async () => {
    const t0 = performance.now();
    const { image } = await decodeImageFile(input.path, rule);
    const result = await classifier.classify(image, { topK: 1 });
    return { ms: performance.now() - t0, top1: result.predictions[0].label };
  };
  for (let i = 0; i < 2; i++) await once();
  const ms = [];
  let top1;
  for (let i = 0; i < repeat; i++) {
    const r = await once();
    ms.push(r.ms);
    top1 = r.top1;
  }
  return { top1, end_to_end_ms: summary(ms) };
}

/** The demo page built for the model, in headless Chromium: decode + classify timed in the page. */
async function startPage(inputs) {
  if (!existsSync(CHROMIUM)) return { skipped: `${CHROMIUM} not found` };
  const { build } = await import('vite');
  const { chromium } = await import('playwright-core');
  const siteDir = mkdtempSync(join(tmpdir(), 'ferry-real-uploads-site-'));
  process.env.FERRY_MODEL = modelPath;
  await build({
    root: WEB_DEMO,
    configFile: join(WEB_DEMO, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: siteDir, emptyOutDir: true },
  });
  mkdirSync(join(siteDir, 'inputs'));
  inputs.forEach((input, i) => writeFileSync(join(siteDir, 'inputs', String(i)), input.bytes));
  const server = await startNodeServer({ modelPath, port: 0, staticDir: siteDir, log: () => {} });
  const profile = mkdtempSync(join(tmpdir(), 'ferry-real-uploads-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/?mode=local`);
  await page.waitForSelector('body[data-model="ready"]', { timeout: 120_000 });
  return {
    async time(index) {
      return page.evaluate(
        async ({ index, repeat }) => {
          const demo = globalThis.ferryDemo;
          const model = await demo.modelReady;
          const blob = await (await fetch(`inputs/${index}`)).blob();
          const once = async () => {
            const t0 = performance.now();
            const image = await demo.decodeImage(blob, 'photo', model.spec.decode);
            const result = await model.classifier.classify(image, { topK: 1 });
            return { ms: performance.now() - t0, top1: result.predictions[0].label };
          };
          for (let i = 0; i < 2; i++) await once();
          const ms = [];
          let top1;
          for (let i = 0; i < repeat; i++) {
            const r = await once();
            ms.push(r.ms);
            top1 = r.top1;
          }
          return { ms, top1 };
        },
        { index, repeat },
      );
    },
    async close() {
      await context.close();
      await server.close();
    },
  };
}

async function burst(server, match, input, n = 16) {
  const mix = Array.isArray(input) ? input : [input];
  await post(server.url, mix[0]); // model loaded, buffers grown: this is the idle baseline
  const idle = childRssMiB(match);
  let peak = idle;
  const timer = setInterval(() => {
    peak = Math.max(peak, childRssMiB(match));
  }, 20);
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => post(server.url, mix[i % mix.length])),
  );
  clearInterval(timer);
  peak = Math.max(peak, childRssMiB(match));
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    rss_idle_with_model_mib: round(idle),
    rss_peak_mib: round(peak),
    above_idle_mib: round(peak - idle),
    statuses,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'ferry-real-uploads-'));
const inputs = await makeInputs(dir);
const modelBytes = new Uint8Array(readFileSync(modelPath));
const spec = readModelSpecFromOnnx(modelBytes);
const session = await ort.InferenceSession.create(modelBytes);
const classifier = createClassifier(session, spec, { Tensor: ort.Tensor });

const result = {
  date: new Date().toISOString(),
  machine: {
    cpus: (await import('node:os')).cpus().length,
    model: (await import('node:os')).cpus()[0]?.model,
  },
  model: modelPath,
  decode_rule: spec.decode ?? null,
  repeat,
  latency_limits: 'defaults (Workers: 3 MP decode budget, 10 MiB bodies; Node: 40 MP)',
  inputs: inputs.map(({ name, bytes }) => ({ name, bytes: bytes.length })),
  latency: {},
  memory: {},
};

let workerd = await startWorkerd(modelPath);
let node = await startNode(modelPath);
const page = await startPage(inputs);
try {
  for (const [index, input] of inputs.entries()) {
    let chromiumPage = { skipped: page.skipped };
    if (!page.skipped) {
      const r = await page.time(index);
      chromiumPage = { top1: r.top1, end_to_end_ms: summary(r.ms) };
    }
    result.latency[input.name] = {
      workerd: await timeServer(workerd.url, input),
      node: await timeServer(node.url, input),
      ferry_predict_path: await timePredictPath(input, classifier, spec.decode),
      chromium_page: chromiumPage,
    };
    console.error(`real-uploads: ${input.name}: ${JSON.stringify(result.latency[input.name])}`);
  }
} finally {
  await Promise.all([workerd.stop(), node.stop(), page.skipped ? undefined : page.close()]);
}

// Progressive photos at 1/8, decode only, in this process, each with a fresh JPEG decoder: its
// time, and the wasm memory it holds after (the compact coefficient store's size, near enough).
{
  const { createJpegDecoder } = await import('@ferry/codec-jpeg/node');
  const wasmUrl = (await import('@ferry/codec-jpeg/wasm-url')).default;
  const module = await WebAssembly.compile(readFileSync(new URL(wasmUrl)));
  result.progressive_decode = [];
  for (const input of inputs.filter((i) => i.name.includes('progressive'))) {
    const decoder = await createJpegDecoder(module);
    const ms = [];
    for (let i = 0; i < repeat + 2; i++) {
      const t0 = performance.now();
      await decoder.decode(input.bytes, { eighths: 1 });
      if (i >= 2) ms.push(performance.now() - t0);
    }
    result.progressive_decode.push({
      input: input.name,
      p50_ms: summary(ms).p50,
      wasm_mib_after: decoder.memoryBytes() / 2 ** 20,
    });
  }
}

// Memory with the default limits, 16 concurrent 12-MP uploads (the real photo when present).
const twelve =
  inputs.find((i) => i.name.startsWith('real photo -> 4032')) ??
  inputs.find((i) => i.name.includes('4032x3024 JPEG'));
workerd = await startWorkerd(modelPath);
try {
  result.memory.workerd = {
    input: twelve.name,
    ...(await burst(workerd, (a) => a.includes('workerd'), twelve)),
  };
  // 16 mixed uploads at once: every kind the table above has, the refused ones included.
  result.memory.workerd_mixed = {
    inputs: inputs.map((i) => i.name),
    ...(await burst(workerd, (a) => a.includes('workerd'), inputs)),
  };
} finally {
  await workerd.stop();
}
node = await startNode(modelPath);
try {
  result.memory.node = { input: twelve.name, ...(await burst(node, (a) => a.includes('server.js'), twelve)) };
} finally {
  await node.stop();
}
await session.release();

// The isolate itself (workerd reports only process RSS): the Workers app in one Node isolate.
try {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', join(here, 'isolate-memory.mjs'), modelPath, twelve.path],
    { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  result.memory.isolate = JSON.parse(out.trim().split('\n').pop());
} catch (error) {
  result.memory.isolate = { error: String(error.message).split('\n')[0] };
}

mkdirSync(join(here, 'out'), { recursive: true });
const out = join(here, 'out/real-uploads.json');
writeFileSync(`${out}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
console.log(JSON.stringify(result));
