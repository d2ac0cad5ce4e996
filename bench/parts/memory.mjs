/** The memory part of the bench: bench/train-memory.mjs: peak RSS of training runs. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { args, errorOf, HERE, QUICK, runChild, step, writeJson } from '../lib/context.mjs';
import { fmt, table } from '../lib/format.mjs';

export async function memory() {
  const script = join(HERE, 'train-memory.mjs');
  if (!existsSync(script)) {
    step('memory: bench/train-memory.mjs is not there yet; only the training part peak RSS is reported');
    writeJson('memory', { date: new Date().toISOString(), skipped: 'bench/train-memory.mjs not present' });
    return;
  }
  step('memory: bench/train-memory.mjs');
  const r = await runChild(
    process.execPath,
    [
      script,
      ...(QUICK ? ['--quick'] : []),
      ...(args['memory-images'] ? ['--images', args['memory-images']] : []),
    ],
    { label: 'train-memory' },
  );
  writeJson('memory', {
    date: new Date().toISOString(),
    ...(r.code === 0 && r.json
      ? { result: r.json }
      : { error: errorOf(r), stdout_tail: r.stdout.slice(-2000) }),
  });
}

export function memorySection(m, t) {
  const lines = [];
  if (t?.runs) {
    lines.push(
      `Peak RSS of each training run on the ${t.images.train + t.images.val}-image set (whole process tree, sampled every 0.5 s), from the training part:`,
      '',
      table(
        ['run', 'peak RSS'],
        // The seed-7 runs start from a warm feature cache: not comparable here.
        Object.entries(t.runs)
          .filter(([n]) => !n.includes('(seed '))
          .map(([n, v]) => [n, v.peak_rss_mib ? `${v.peak_rss_mib} MiB` : '–']),
      ),
      '',
    );
  }
  // train-memory.mjs also writes its own bench/out/train-memory.json; shown (with its date) when
  // this bench's memory part did not produce a result.
  const own = join(HERE, 'out/train-memory.json');
  const standalone = existsSync(own) ? JSON.parse(readFileSync(own, 'utf8')) : undefined;
  if (!m) lines.push('_bench/train-memory.mjs not run yet._');
  else if (m.skipped) lines.push(`Generated 10,000-image set: not measured (${m.skipped}).`);
  else if (m.error) lines.push(`bench/train-memory.mjs failed in this bench: ${m.error}`);
  const fromStandalone = !m || m.skipped || m.error;
  const result = fromStandalone ? standalone : m.result;
  if (result?.runs) {
    lines.push(
      ...(lines.length > 0 ? [] : ['']),
      fromStandalone
        ? `Last standalone run of \`node bench/train-memory.mjs\` (${result.date}; not re-run by this bench): default \`ferry train\`, fresh feature cache, peak RSS of the process tree sampled every 200 ms.`
        : `bench/train-memory.mjs (${result.date}): default \`ferry train\`, fresh feature cache, peak RSS of the process tree sampled every 200 ms.`,
      '',
      table(
        ['data', 'images (train / val)', 'wall time', 'peak RSS', 'val accuracy', 'load before'],
        result.runs.map((r) => [
          r.name,
          `${r.images} (${r.trainImages} / ${r.valImages})`,
          `${fmt(r.wallS)} s`,
          `${r.peakRssMB} MiB`,
          r.valAccuracy === undefined ? '–' : `${fmt(r.valAccuracy * 100)} %`,
          (r.loadavgBefore ?? []).map((v) => fmt(v)).join(' / ') || '–',
        ]),
      ),
    );
    const [small, large] = result.runs;
    if (small && large && small.peakRssMB && large.peakRssMB)
      lines.push(
        '',
        `${fmt(large.images / small.images, 0)}x the images, ${fmt(large.peakRssMB / small.peakRssMB)}x the peak RSS (target: under 1.5 GB and flat in dataset size). The growth is the cached feature vectors the head trains on (1280 floats per view).`,
      );
  }
  return lines.join('\n');
}
