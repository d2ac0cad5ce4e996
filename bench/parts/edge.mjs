/** The edge part of the bench: bench/edge-load.mjs: workerd cold start, p50/p99, memory. */
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
  step,
  writeJson,
} from '../lib/context.mjs';
import { fmt, loadNote, table } from '../lib/format.mjs';

export async function edge() {
  const model = join(defaultRun(), 'model.onnx');
  step(`edge: bench/edge-load.mjs on ${model} (workerd)`);
  const before = load();
  const t = Date.now();
  const r = await runChild(
    process.execPath,
    [join(HERE, 'edge-load.mjs'), ...(QUICK ? ['--requests', '50', '--sequential', '10'] : [])],
    { env: { FERRY_MODEL: model, FERRY_DATA_DIR: dirname(FULL_DATA) }, label: 'edge-load' },
  );
  // edge-load.mjs writes bench/out/edge-load.json itself; take it only if this run wrote it.
  const own = join(HERE, 'out/edge-load.json');
  let result;
  if (r.code === 0 && existsSync(own)) {
    const parsed = JSON.parse(readFileSync(own, 'utf8'));
    result =
      Date.parse(parsed.date) >= t - 1000 ? parsed : { error: 'edge-load.mjs did not write a fresh result' };
  } else result = { error: errorOf(r) };
  writeJson('edge', { ...result, loadavg_before: before, loadavg_after: load() });
}

export function edgeSection(e) {
  if (!e) return '_Not run yet (`node bench/run.js --only edge`)._';
  if (e.error) return `Edge load failed: ${e.error}`;
  return [
    `Measured ${e.date} on local workerd (the Workers build through wrangler), model ${e.model.name} (${e.model.input}), photo ${e.photo.name} (${e.photo.bytes} bytes). ${loadNote(e)}`,
    '',
    table(
      ['figure', 'value'],
      [
        ['cold start: wrangler start to ready', `${fmt(e.cold_start.wrangler_start_to_ready_ms, 0)} ms`],
        ['cold start: first request', `${fmt(e.cold_start.first_request_ms, 0)} ms`],
        [
          `sequential /v1/classify p50 (${e.sequential.requests} requests)`,
          `${fmt(e.sequential.classify_p50_ms)} ms`,
        ],
        [
          'raw onnxruntime-node inference p50 (same photo)',
          `${fmt(e.sequential.raw_onnxruntime_node_inference_p50_ms)} ms`,
        ],
        [
          `load: ${e.load.requests} requests at concurrency ${e.load.connections}, p50 / p99`,
          `${e.load.latency_p50_ms} / ${e.load.latency_p99_ms} ms (max ${e.load.latency_max_ms})`,
        ],
        ['load: throughput', `${fmt(e.load.requests_per_s)} requests/s`],
        ['load: errors / timeouts / non-2xx', `${e.load.errors} / ${e.load.timeouts} / ${e.load.non_2xx}`],
        [
          'workerd RSS idle / peak under load',
          `${fmt(e.memory_mib.workerd_idle)} / ${fmt(e.memory_mib.workerd_peak_during_load)} MiB`,
        ],
        ...(e.sequential.worker_timing_p50_ms
          ? [
              [
                "inside the worker, p50: decode / preprocess / inference (the answer's timing_ms)",
                `${Object.values(e.sequential.worker_timing_p50_ms).join(' / ')} ms`,
              ],
            ]
          : []),
      ],
    ),
    '',
    `Target (issue 5): /v1/classify p50 within ${e.sequential.target_ratio}x of raw onnxruntime-node inference: ${fmt(e.sequential.ratio)}x (${e.sequential.ratio <= e.sequential.target_ratio ? 'met' : 'not met'}).`,
  ].join('\n');
}
