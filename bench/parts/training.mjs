/** The training part of the bench: `ferry train` (features, finetune) vs the PyTorch transfer-learning tutorial recipe. */
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import {
  BACKBONE,
  CLI,
  checkPort,
  count,
  DATA,
  ensureTorch,
  errorOf,
  load,
  OUT,
  PEER,
  PEER_EPOCHS_BY_MODE,
  PYTHON,
  QUICK,
  readJson,
  round,
  runChild,
  runDir,
  SELECTED_RUNS,
  shownPath,
  step,
  TRAINING_RUNS,
  writeJson,
} from '../lib/context.mjs';
import { fmt, loadNote, pct, table } from '../lib/format.mjs';

export async function training() {
  // A subset of runs (--only training:<id>) replaces those runs in the last training.json.
  const all = SELECTED_RUNS.length === Object.keys(TRAINING_RUNS).length;
  const previous = all ? undefined : readJson('training');
  const result = {
    ...(previous ?? {}),
    date: new Date().toISOString(),
    loadavg_before: load(),
    data: DATA,
    backbone: BACKBONE,
    runs: { ...(previous?.runs ?? {}) },
  };
  if (!all) result.rerun = { runs: SELECTED_RUNS, date: result.date, previous_date: previous?.date };
  result.images = { train: count('train'), val: count('val') };
  const threads = cpus().length;
  result.torch_threads = threads;
  // A fresh cache: Ferry's default mode caches backbone features, and a warm cache would time
  // only the head. The backbone itself still comes from the read-only mirror.
  const cache = join(OUT, 'cache');
  if (SELECTED_RUNS.includes('ferry-features')) rmSync(cache, { recursive: true, force: true });

  // The tutorial recipe, three ways: fixed extractor with BatchNorm in train mode (as the
  // tutorial has it), fixed with the frozen backbone in eval mode (fused, no autograd), and
  // fine-tune-all. All run mobilenet_v2.py's native module (the interpreter is 1.5x slower).
  const peerRuns = [
    ['pytorch-fixed', 'fixed', ['--backbone-mode', 'train']],
    ['pytorch-fixed-eval', 'fixed', ['--backbone-mode', 'eval']],
    ['pytorch-finetune', 'finetune', []],
  ].filter(([id]) => SELECTED_RUNS.includes(id));
  const peerModes = peerRuns.map(([, mode]) => mode);
  const torch = peerModes.length > 0 && ensureTorch();
  if (torch) {
    step('training: proving the PyTorch port (features equal to tfjs within 1e-4)');
    result.port_check = await checkPort();
    step(
      `training: port check ${result.port_check.ok ? `ok, max |diff| ${result.port_check.max_abs_diff}` : 'FAILED'}`,
    );
  }

  const ferryRuns = [
    ['ferry features (default)', 'features', []],
    ['ferry finetune', 'finetune', ['--mode', 'finetune']],
    ['ferry features (seed 7)', 'features-seed7', ['--seed', '7']],
    ['ferry finetune (seed 7)', 'finetune-seed7', ['--mode', 'finetune', '--seed', '7']],
  ].filter(([, mode]) => SELECTED_RUNS.includes(`ferry-${mode}`));
  for (const [name, mode, extra] of ferryRuns) {
    step(`training: ${name} on ${result.images.train} train / ${result.images.val} val images`);
    rmSync(runDir(mode), { recursive: true, force: true });
    const r = await runChild(
      process.execPath,
      [
        CLI,
        'train',
        '--data',
        DATA,
        '--out',
        runDir(mode),
        '--json',
        ...extra,
        ...(QUICK ? ['--epochs', '1'] : []),
      ],
      { env: { FERRY_CACHE_DIR: cache, FERRY_MODELS_DIR: dirname(BACKBONE) }, label: name },
    );
    const res = r.jsonLines.find((j) => j.type === 'result');
    result.runs[name] =
      r.code === 0 && res
        ? {
            val_accuracy: res.valAccuracy,
            best_epoch: res.bestEpoch,
            wall_s: r.wall_s,
            train_s: round(res.durationSeconds, 1),
            peak_rss_mib: r.peak_rss_mib,
            run_dir: res.runDir,
          }
        : { error: errorOf(r), wall_s: r.wall_s };
    step(`training: ${name}: ${JSON.stringify(result.runs[name])}`);
    writeJson('training', { ...result, partial: true }); // an interrupted bench keeps what it measured
  }

  // The slow PyTorch peer runs after the other parts (they need only the Ferry run), so a bench
  // cut short by the clock still has inference, edge and export figures.
  return async () => {
    if (torch && result.port_check?.ok) {
      let fixedTuning;
      for (const [id, mode, extra] of peerRuns) {
        const name = TRAINING_RUNS[id];
        const epochs = PEER_EPOCHS_BY_MODE[mode];
        const peerArgs = (epochsToRun, config) => [
          join(PEER, 'train.py'),
          '--data',
          DATA,
          '--backbone',
          BACKBONE,
          '--mode',
          mode,
          '--epochs',
          String(epochsToRun),
          '--threads',
          String(config.threads ?? threads),
          '--workers',
          String(config.workers),
          ...(config.channelsLast ? ['--channels-last'] : []),
          ...extra,
        ];
        // Torch threads, loader workers and memory format tuned on one-epoch runs of the first
        // fixed variant; the full runs use the fastest (on 2 cores, loader workers decode while
        // torch's threads compute, or compete with them; an OpenMP thread per core stalls when
        // other processes hold a core).
        let tuning = mode === 'fixed' ? fixedTuning : undefined;
        if (!tuning) {
          tuning = [];
          for (const config of [
            { threads: 1, workers: 1, channelsLast: true },
            { threads, workers: 1, channelsLast: true },
            { threads, workers: 0, channelsLast: true },
          ]) {
            if (QUICK && tuning.length > 0) break;
            const t = await runChild(PYTHON, peerArgs(1, config), { label: `${name} tuning` });
            tuning.push({ ...config, wall_s: t.code === 0 ? t.wall_s : null, tuned_on: name });
            step(`training: ${name} tuning ${JSON.stringify(tuning.at(-1))}`);
          }
          if (mode === 'fixed') fixedTuning = tuning;
        }
        const best = tuning.filter((t) => t.wall_s).sort((a, b) => a.wall_s - b.wall_s)[0] ?? tuning[0];
        step(
          `training: ${name} (${epochs} epochs, batch 4, ${best.threads} threads, ${best.workers} workers)`,
        );
        const r = await runChild(PYTHON, peerArgs(epochs, best), { label: name });
        result.runs[name] =
          r.code === 0 && r.json
            ? {
                val_accuracy: r.json.best_val_acc,
                final_val_accuracy: r.json.final_val_acc,
                epochs: r.json.epochs,
                wall_s: r.wall_s,
                train_images_per_s: round(r.json.train_images_per_second),
                peak_rss_mib: r.peak_rss_mib,
                torch: r.json.torch,
                threads: r.json.threads,
                workers: r.json.workers,
                channels_last: r.json.channels_last,
                impl: r.json.impl,
                backbone_mode: r.json.backbone_mode,
                tuning,
              }
            : { error: errorOf(r), wall_s: r.wall_s, tuning };
        step(`training: ${name}: ${JSON.stringify(result.runs[name])}`);
        writeJson('training', { ...result, partial: true });
      }
    } else if (peerModes.length === 0) {
      // no PyTorch run selected
    } else if (torch) {
      result.peer_skipped = 'the port check failed, so the PyTorch peer would not run on the same weights';
    } else {
      result.peer_skipped = 'python3-torch / python3-torchvision not installed';
    }
    delete result.partial;
    result.loadavg_after = load();
    writeJson('training', result);
  };
}

export function trainingSection(t) {
  if (!t) return '_Not run yet (`node bench/run.js --only training`)._';
  const r = t.runs ?? {};
  const lines = [
    ...(t.partial
      ? ['**Incomplete: the bench stopped during this part; the runs below are those that finished.**', '']
      : []),
    `Measured ${t.date}. ${t.images.train} train / ${t.images.val} val images (${shownPath(t.data)}); backbone ${shownPath(t.backbone)}. ${loadNote(t)}`,
    '',
  ];
  if (t.port_check)
    lines.push(
      t.port_check.ok
        ? `Port check: PyTorch features of ${t.port_check.images} val photos equal tfjs' within ${t.port_check.max_abs_diff.toExponential(2)} (max |feature| ${t.port_check.max_abs_feature}; limit 1e-4).`
        : `Port check FAILED: ${t.port_check.error}`,
      '',
    );
  if (t.rerun)
    lines.push(
      `Re-measured on ${t.rerun.date} with \`--only ${t.rerun.runs.map((r) => `training:${r}`).join(',')}\`; the other runs are from ${t.rerun.previous_date ?? 'an earlier run'}.`,
      '',
    );
  if (t.peer_skipped) lines.push(`PyTorch peer skipped: ${t.peer_skipped}.`, '');
  lines.push(
    table(
      ['run', 'val accuracy', 'wall time', 'peak RSS', 'notes'],
      Object.entries(r).map(([name, v]) => [
        name,
        v.error ? 'error' : pct(v.val_accuracy),
        `${fmt(v.wall_s)} s`,
        v.peak_rss_mib ? `${v.peak_rss_mib} MiB` : '–',
        v.error
          ? v.error.slice(0, 200)
          : name.startsWith('ferry')
            ? `best epoch ${v.best_epoch}; train() ${fmt(v.train_s)} s`
            : `best of ${v.epochs} epochs (final ${pct(v.final_val_accuracy)}); ${fmt(v.train_images_per_s)} train img/s; torch ${v.torch}, ${v.threads} threads${v.workers == null ? '' : `, ${v.workers} loader workers${v.channels_last ? ', channels-last' : ''}, ${v.impl === 'interpreter' ? 'graph interpreter' : 'native module'}${v.tuning ? ` (fastest of ${v.tuning.length} one-epoch tunings)` : ''}`}`,
      ]),
    ),
  );
  // Against the faster of the two fixed-extractor forms: the strongest peer of its kind.
  // Side by side counts: when the Ferry run was re-measured, its peer is one measured with it.
  const sameRun = (n) =>
    !t.rerun?.runs.includes('ferry-features') ||
    t.rerun.runs.includes(Object.keys(TRAINING_RUNS).find((id) => TRAINING_RUNS[id] === n));
  const fixed = ['pytorch fixed', 'pytorch fixed (backbone in eval mode)']
    .filter((n) => r[n] && !r[n].error && sameRun(n))
    .sort((a, b) => r[a].wall_s - r[b].wall_s)[0];
  const pairs = [
    ['ferry features (default)', fixed ?? 'pytorch fixed'],
    ['ferry finetune', 'pytorch finetune'],
  ];
  const ratioRows = pairs
    .filter(([a, b]) => r[a] && r[b] && !r[a].error && !r[b].error)
    .map(([a, b]) => [
      `${a} / ${b}`,
      `${fmt((r[a].val_accuracy - r[b].val_accuracy) * 100)} points`,
      r[a].wall_s <= r[b].wall_s
        ? `${fmt(r[a].wall_s / r[b].wall_s, 3)} (Ferry ${fmt(r[b].wall_s / r[a].wall_s)}x faster)`
        : `${fmt(r[a].wall_s / r[b].wall_s, 3)} (Ferry ${fmt(r[a].wall_s / r[b].wall_s)}x slower)`,
    ]);
  if (ratioRows.length) {
    lines.push('', table(['Ferry / PyTorch', 'accuracy difference', 'wall-time ratio'], ratioRows));
    const f = r['ferry features (default)'];
    const p = r[fixed ?? 'pytorch fixed'];
    if (f && p && !f.error && !p.error) {
      const accOk = f.val_accuracy >= p.val_accuracy;
      const timeOk = f.wall_s <= p.wall_s / 5;
      lines.push(
        '',
        `Target (issue 7): default \`ferry train\` at least as accurate as the fastest PyTorch fixed-feature-extractor run (${fixed}; ${accOk ? 'met' : 'NOT met'}) in at most one fifth of its wall time (${timeOk ? 'met' : 'NOT met'}: ${fmt(f.wall_s)} s vs ${fmt(p.wall_s / 5)} s).`,
      );
    }
  }
  const seedRows = [
    ['42', 'ferry features (default)', 'ferry finetune'],
    ['7', 'ferry features (seed 7)', 'ferry finetune (seed 7)'],
  ].filter(([, f, ft]) => r[f] && r[ft] && !r[f].error && !r[ft].error);
  if (seedRows.length) {
    lines.push(
      '',
      table(
        ['seed', 'features', 'finetune', 'finetune >= features (issue 3)'],
        seedRows.map(([seed, f, ft]) => [
          seed,
          pct(r[f].val_accuracy),
          pct(r[ft].val_accuracy),
          r[ft].val_accuracy >= r[f].val_accuracy ? 'met' : 'NOT met',
        ]),
      ),
      ...(seedRows.some(([seed]) => seed === '7')
        ? [
            '',
            'The seed-7 runs start with the feature cache the seed-42 runs left (same plain views), so their wall time and peak RSS are not cold-cache figures.',
          ]
        : []),
    );
  }
  lines.push(
    '',
    'Wall time is the whole process (start-up, decoding, training, evaluation; Ferry also writes model.onnx and report.html), with a cold feature cache. Both sides pick the best epoch on val, as the tutorial does. Ferry features mode trains its head on cached backbone features of the plain view of each photo (runs before 2026-12-01T11:30: the plain view and its mirror image); PyTorch fixed runs the backbone on every image every epoch, as the tutorial recipe does.',
  );
  return lines.join('\n');
}
