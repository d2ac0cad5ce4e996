/** The uploads part of the bench: bench/real-uploads.mjs and bench/isolate-memory.mjs: real phone photos and screenshots through every runtime. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  defaultRun,
  errorOf,
  FULL_DATA,
  HERE,
  load,
  QUICK,
  runChild,
  shownPath,
  step,
  writeJson,
} from '../lib/context.mjs';
import { fmt, loadNote, table } from '../lib/format.mjs';

export async function uploads() {
  const model = join(defaultRun(), 'model.onnx');
  step(`uploads: bench/real-uploads.mjs on ${model} (workerd, Node server, ferry predict path)`);
  const before = load();
  const t = Date.now();
  const r = await runChild(
    process.execPath,
    [join(HERE, 'real-uploads.mjs'), ...(QUICK ? ['--repeat', '3'] : [])],
    {
      env: { FERRY_MODEL: model, FERRY_DATA_DIR: dirname(FULL_DATA) },
      label: 'real-uploads',
    },
  );
  const own = join(HERE, 'out/real-uploads.json');
  let result;
  if (r.code === 0 && existsSync(own)) {
    const parsed = JSON.parse(readFileSync(own, 'utf8'));
    result =
      Date.parse(parsed.date) >= t - 1000
        ? parsed
        : { error: 'real-uploads.mjs did not write a fresh result' };
  } else result = { error: errorOf(r) };
  writeJson('uploads', { ...result, loadavg_before: before, loadavg_after: load() });
}

function isolateLine(i) {
  if (!i) return '';
  if (i.error) return `Isolate memory (bench/isolate-memory.mjs) failed: ${i.error}`;
  return [
    `The isolate itself (bench/isolate-memory.mjs: the Workers app — JS/wasm decoders, onnxruntime-web, Workers default limits — in one Node isolate; V8 heap + external memory, which holds the ArrayBuffers and wasm memories Cloudflare's 128 MB counts): idle ${fmt(i.idle_mib)} MiB, model loaded ${fmt(i.model_loaded_mib)} MiB;`,
    `16 concurrent ${i.burst_16_jpeg.bytes}-byte 12-MP JPEGs peak ${fmt(i.burst_16_jpeg.peak_mib)} MiB (+${fmt(i.burst_16_jpeg.above_loaded_mib)}), statuses ${JSON.stringify(i.burst_16_jpeg.statuses)};`,
    `one ${i.png_at_limit.width}x${i.png_at_limit.height} interlaced RGBA PNG (decoded whole, at the Workers pixel limit) peaks ${fmt(i.png_at_limit.peak_mib)} MiB (HTTP ${i.png_at_limit.status});`,
    ...Object.entries(i.uploads ?? {}).map(
      ([name, u]) => `one ${name} (${u.bytes} bytes) peaks ${fmt(u.peak_mib)} MiB (HTTP ${u.status});`,
    ),
    i.burst_mixed
      ? `16 mixed uploads at once (the 12-MP JPEG and every kind above, in turn) peak ${fmt(i.burst_mixed.peak_mib)} MiB, statuses ${JSON.stringify(i.burst_mixed.statuses)}.`
      : '',
  ].join(' ');
}

export function uploadsSection(u) {
  if (!u) return '_Not run yet (`node bench/run.js --only uploads`)._';
  if (u.error) return `Real uploads failed: ${u.error}`;
  const ms = (x) =>
    x?.end_to_end_ms
      ? `${fmt(x.end_to_end_ms.p50)} / ${fmt(x.end_to_end_ms.p99)}`
      : `HTTP ${x?.status}: ${x?.error ?? ''}`;
  const curl = (x) =>
    x?.curl_end_to_end_ms?.p50 ? `${fmt(x.curl_end_to_end_ms.p50)} / ${fmt(x.curl_end_to_end_ms.p99)}` : '–';
  const split = (x) =>
    x?.server_p50_ms
      ? Object.values(x.server_p50_ms)
          .map((v) => fmt(v))
          .join(' / ')
      : '–';
  const rows = Object.entries(u.latency).map(([name, r]) => [
    name,
    `${u.inputs.find((i) => i.name === name)?.bytes ?? '–'}`,
    ms(r.workerd),
    curl(r.workerd),
    split(r.workerd),
    ms(r.node),
    curl(r.node),
    split(r.node),
    ms(r.ferry_predict_path),
    r.chromium_page?.end_to_end_ms ? ms(r.chromium_page) : `skipped: ${r.chromium_page?.skipped}`,
    [r.workerd?.top1, r.node?.top1, r.chromium_page?.top1, r.ferry_predict_path?.top1].every(
      (x) => x && x === r.ferry_predict_path.top1,
    )
      ? 'yes'
      : 'NO',
  ]);
  const mem = (x) =>
    x
      ? `${fmt(x.rss_idle_with_model_mib)} → ${fmt(x.rss_peak_mib)} MiB (+${fmt(x.above_idle_mib)}); statuses ${JSON.stringify(x.statuses)}`
      : '–';
  return [
    `Measured ${u.date}, model ${shownPath(u.model)} (decode rule ${JSON.stringify(u.decode_rule)}), ${u.repeat} sequential requests per input after 2 warm-ups; p99 of ${u.repeat} is their maximum. Servers ran with ${typeof u.latency_limits === 'string' ? u.latency_limits : JSON.stringify(u.latency_limits)}; a refused input shows its status. All four decode JPEGs with the same wasm libjpeg-turbo. End to end is timed twice: from the bench process's fetch (keep-alive; it shares this 2-core machine with the server), and from curl, the issue's own client, one process and connection per request (time_total: first byte out to last byte in). ${loadNote(u)}`,
    '',
    table(
      [
        'input',
        'bytes',
        'workerd p50 / p99 ms (fetch)',
        'workerd p50 / p99 ms (curl)',
        'workerd inside p50: decode / preprocess / inference',
        'Node p50 / p99 ms (fetch)',
        'Node p50 / p99 ms (curl)',
        'Node inside p50',
        '`ferry predict` path p50 / p99 ms',
        'Chromium page p50 / p99 ms (decode + classify in the page)',
        'same top-1 (all four)',
      ],
      rows,
    ),
    '',
    `16 concurrent 12-MP uploads (${u.memory.workerd?.input}) with the default limits, process RSS (workerd does not report one isolate's heap): workerd ${mem(u.memory.workerd)}; Node server ${mem(u.memory.node)}.`,
    '',
    u.memory.workerd_mixed
      ? `16 mixed uploads at once (every input above, in turn) to workerd with the default limits: ${mem(u.memory.workerd_mixed)}.`
      : '',
    '',
    ratioLine(u),
    '',
    Array.isArray(u.progressive_decode)
      ? `Progressive JPEGs at 1/8, decode only, p50, in one process, each with a fresh JPEG decoder: ${u.progressive_decode
          .map((d) => `${d.input} ${fmt(d.p50_ms)} ms, wasm memory after ${fmt(d.wasm_mib_after)} MiB`)
          .join('; ')}.`
      : '',
    '',
    isolateLine(u.memory.isolate),
  ].join('\n');
}

/** Each input's workerd p50 over the 500x375 JPEG's, measured in the same run (issue 26's target: at most 6x). */
function ratioLine(u) {
  const base = u.latency['500x375 val JPEG (baseline)']?.workerd?.end_to_end_ms?.p50;
  if (!base) return '';
  const parts = Object.entries(u.latency)
    .filter(([name, r]) => !name.startsWith('500x375') && r.workerd?.end_to_end_ms)
    .map(([name, r]) => `${name} ${fmt(r.workerd.end_to_end_ms.p50 / base, 2)}x`);
  return `workerd p50 over the 500x375 JPEG's (${fmt(base)} ms, fetch): ${parts.join('; ')}.`;
}
