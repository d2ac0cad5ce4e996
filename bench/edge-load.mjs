#!/usr/bin/env node
/**
 * Edge API load on local workerd (the real Workers build via wrangler): cold start, 1,000
 * POST /v1/classify at concurrency 16 with autocannon (p50/p99, errors, workerd memory), and the
 * p50 of sequential /v1/classify beside raw onnxruntime-node inference on the same 500x375 JPEG,
 * measured in this one run. Prints one JSON object and writes bench/out/edge-load.json.
 *
 * Usage: FERRY_MODEL=path/to/model.onnx node bench/edge-load.mjs [--requests 1000] [--connections 16]
 * Default model: runs/demo/model.onnx. The photo: the first 500x375 val JPEG under
 * $FERRY_DATA_DIR/hymenoptera_data, else a synthetic 500x375 JPEG.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { applyOrientation, createClassifier, readImageHeader, readModelSpecFromOnnx } from '@ferry/core';
import { decodeWithSharp } from '@ferry/edge-api/node';
import { startWorkerd } from '@ferry/edge-api/testing';
import autocannon from 'autocannon';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '16' },
    sequential: { type: 'string', default: '100' },
  },
});
const modelPath = resolve(process.env.FERRY_MODEL ?? join(here, '../runs/demo/model.onnx'));
if (!existsSync(modelPath)) {
  console.error(`edge-load: no model at ${modelPath}; set FERRY_MODEL to a ferry-exported .onnx`);
  process.exit(2);
}

async function pickPhoto() {
  const root = process.env.FERRY_DATA_DIR && join(process.env.FERRY_DATA_DIR, 'hymenoptera_data/val');
  if (root && existsSync(root)) {
    for (const cls of ['ants', 'bees']) {
      for (const file of readdirSync(join(root, cls)).sort()) {
        const bytes = new Uint8Array(readFileSync(join(root, cls, file)));
        const h = readImageHeader(bytes);
        if (h?.format === 'jpeg' && h.width === 500 && h.height === 375)
          return { name: `val/${cls}/${file}`, bytes };
      }
    }
  }
  const raw = Buffer.alloc(500 * 375 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + ((i / 1500) | 0) * 7) & 0xff;
  const jpeg = await sharp(raw, { raw: { width: 500, height: 375, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  return { name: 'synthetic 500x375', bytes: new Uint8Array(jpeg) };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (x) => Math.round(x * 100) / 100;

/** RSS (MiB) of every workerd process started under this one. */
function workerdRssMiB() {
  try {
    const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss=,comm='], { encoding: 'utf8' });
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const children = new Set([String(process.pid)]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, ppid] of rows) {
        if (children.has(ppid) && !children.has(pid)) {
          children.add(pid);
          grew = true;
        }
      }
    }
    return (
      rows
        .filter(([pid, , , comm]) => children.has(pid) && /workerd/.test(comm))
        .reduce((s, r) => s + Number(r[2]), 0) / 1024
    );
  } catch {
    return Number.NaN;
  }
}

async function rawOnnxruntimeNode(photo, iterations) {
  const bytes = new Uint8Array(readFileSync(modelPath));
  const spec = readModelSpecFromOnnx(bytes);
  const session = await ort.InferenceSession.create(bytes);
  const classifier = createClassifier(session, spec, { Tensor: ort.Tensor });
  const header = readImageHeader(photo.bytes);
  const image = applyOrientation(await decodeWithSharp(photo.bytes, 40e6), header.orientation);
  const input = classifier.preprocess(image);
  const { width, height, layout, name } = spec.input;
  const dims = layout === 'NHWC' ? [1, height, width, 3] : [1, 3, height, width];
  const times = [];
  for (let i = 0; i < iterations + 5; i++) {
    const t0 = performance.now();
    await session.run({ [name]: new ort.Tensor('float32', input, dims) });
    if (i >= 5) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50_ms: round(percentile(times, 50)), spec };
}

const photo = await pickPhoto();
/**
 * One POST on a fresh connection: workerd's HTTP server can close a kept-alive connection just
 * as the next request arrives ("other side closed"), which would fail the sequential phase for
 * reasons that are not the Worker's. A loopback connect costs well under a millisecond.
 */
const classify = (url) =>
  new Promise((resolveResponse, reject) => {
    const req = request(
      `${url}/v1/classify`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'image/jpeg', 'content-length': photo.bytes.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolveResponse({ status: res.statusCode, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(photo.bytes);
  });

const t0 = performance.now();
const server = await startWorkerd(modelPath);
const startMs = performance.now() - t0;
// workerd's own socket, not wrangler's dev ProxyWorker: under load the proxy drops some POSTs
// with 503 "Your worker restarted mid-request" although the worker never restarted
// (cloudflare/workers-sdk#14641), which would measure wrangler, not the Worker.
// A getter: wrangler reports the socket again if it ever reloads the worker.
const workerUrl = () => server.workerUrl;
const rssIdle = workerdRssMiB();
try {
  const t1 = performance.now();
  const first = await classify(workerUrl());
  const firstRequestMs = performance.now() - t1;
  if (first.status !== 200) throw new Error(`first request answered ${first.status}`);

  // Sequential p50 beside raw onnxruntime-node, alternating so both see the same machine load.
  const raw = await rawOnnxruntimeNode(photo, Number(values.sequential));
  const seq = [];
  // The worker's own split of each answer, to show where the time beyond inference goes.
  const inside = { decode: [], preprocess: [], inference: [] };
  for (let i = 0; i < Number(values.sequential); i++) {
    const s = performance.now();
    const res = await classify(workerUrl());
    const body = res.json();
    seq.push(performance.now() - s);
    for (const key of Object.keys(inside)) inside[key].push(body.timing_ms[key]);
  }
  seq.sort((a, b) => a - b);
  for (const list of Object.values(inside)) list.sort((a, b) => a - b);
  const rawAfter = await rawOnnxruntimeNode(photo, Number(values.sequential));

  let peakRss = workerdRssMiB();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, workerdRssMiB());
  }, 250);
  const load = await autocannon({
    url: `${workerUrl()}/v1/classify`,
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: Buffer.from(photo.bytes),
    connections: Number(values.connections),
    amount: Number(values.requests),
    timeout: 60,
  });
  clearInterval(sampler);
  const after = await classify(workerUrl());

  const rawP50 = Math.min(raw.p50_ms, rawAfter.p50_ms);
  const result = {
    bench: 'edge-load',
    date: new Date().toISOString(),
    model: {
      path: modelPath,
      name: raw.spec.name,
      labels: raw.spec.labels.length,
      input: `${raw.spec.input.width}x${raw.spec.input.height}`,
    },
    photo: { name: photo.name, bytes: photo.bytes.length },
    url: 'workerd socket (not the wrangler dev proxy)',
    cold_start: { wrangler_start_to_ready_ms: round(startMs), first_request_ms: round(firstRequestMs) },
    sequential: {
      requests: seq.length,
      classify_p50_ms: round(percentile(seq, 50)),
      raw_onnxruntime_node_inference_p50_ms: rawP50,
      ratio: round(percentile(seq, 50) / rawP50),
      target_ratio: 3,
      worker_timing_p50_ms: Object.fromEntries(
        Object.entries(inside).map(([key, list]) => [key, round(percentile(list, 50))]),
      ),
    },
    load: {
      requests: load.requests.total,
      connections: Number(values.connections),
      errors: load.errors,
      timeouts: load.timeouts,
      non_2xx: load.non2xx,
      status_codes: Object.fromEntries(
        Object.entries(load.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]),
      ),
      latency_p50_ms: load.latency.p50,
      latency_p99_ms: load.latency.p99,
      latency_max_ms: load.latency.max,
      requests_per_s: round(load.requests.average),
    },
    memory_mib: { workerd_idle: round(rssIdle), workerd_peak_during_load: round(peakRss) },
    after_load_status: after.status,
    machine: {
      cpus: (await import('node:os')).cpus().length,
      node: process.version,
      // Other work on the box skews every figure: record how busy it was.
      loadavg_1m_at_end: round((await import('node:os')).loadavg()[0]),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  const outDir = join(here, 'out');
  mkdirSync(outDir, { recursive: true });
  const tmp = join(outDir, `edge-load.json.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(tmp, join(outDir, 'edge-load.json'));
} finally {
  await server.stop();
}
