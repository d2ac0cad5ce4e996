#!/usr/bin/env node
/**
 * `npm run bench`: Ferry side by side with the PyTorch transfer-learning tutorial, measured in one
 * run on this machine, written to bench/REPORT.md. No asserts: it reports what it measured.
 *
 * Parts (each writes bench/out/<part>.json; the report is assembled from whatever JSON is there):
 *   training   port check (check_port.py), then `ferry train` (features, the default) and
 *              `--mode finetune` vs train.py in modes fixed and finetune on the same weights
 *   inference  bench/inference.mjs on the Ferry default run (batch 1 and 32, four runtimes)
 *   edge       bench/edge-load.mjs on that run's model.onnx (workerd: cold start, p50/p99, memory)
 *   memory     bench/train-memory.mjs when present (peak RSS of training runs)
 *   export     bench/export-precision.mjs: fp32/fp16/int8 sizes and val accuracy
 *
 * Usage: node bench/run.js [--only PART[,PART]] [--quick] [--peer-epochs N] [--report]
 *   --only PART      parts to (re)run; training:<run> reruns one training run and merges it into
 *                    training.json (runs: ferry-features, ferry-finetune, ferry-features-seed7,
 *                    ferry-finetune-seed7, pytorch-fixed, pytorch-finetune)
 *   --quick          smoke run: a few images, 1 epoch, short timings; writes bench/out/quick/
 *                    and bench/out/quick/REPORT.md, never bench/REPORT.md
 *   --peer-epochs N  epochs of the PyTorch peer (default 25, the tutorial's);
 *                    --peer-finetune-epochs N for its finetune mode alone
 *   --memory-images N  size of train-memory.mjs's generated set (its default: 10000)
 *   --report         only re-assemble the report from bench/out/*.json
 * Needs the packages built (`npm install` does it) and the ants/bees photos + MobileNetV2 weights:
 * FERRY_DATA_DIR / FERRY_MODELS_DIR, else ~/.cache/ferry (as `npm run demo` resolves them).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, freemem, homedir, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const CLI = join(ROOT, 'packages/trainer/dist/cli.js');
const PEER = join(HERE, 'peer-pytorch');
const PYTHON = '/usr/bin/python3';
/** Paths in the report are relative to the repository, so it names no one's machine. */
const shownPath = (path) => (path ? relative(ROOT, path) || '.' : path);
const PARTS = ['training', 'inference', 'edge', 'memory', 'export'];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'peer-epochs': { type: 'string' },
    'peer-finetune-epochs': { type: 'string' },
    'memory-images': { type: 'string' },
    report: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('*/')[0]
      .replace(/^#!.*\n\/\*\*?/, ''),
  );
  process.exit(0);
}
/** Training runs, selectable one by one with --only training:<id> (merged into training.json). */
const TRAINING_RUNS = {
  'ferry-features': 'ferry features (default)',
  'ferry-finetune': 'ferry finetune',
  // A second seed for the finetune >= features target: one val set of 153 photos is noisy.
  'ferry-features-seed7': 'ferry features (seed 7)',
  'ferry-finetune-seed7': 'ferry finetune (seed 7)',
  'pytorch-fixed': 'pytorch fixed',
  'pytorch-finetune': 'pytorch finetune',
};
const only = args.report ? [] : args.only ? args.only.split(',').map((s) => s.trim()) : [...PARTS];
const unknown = only.filter(
  (p) => !PARTS.includes(p) && !(p.startsWith('training:') && p.slice(9) in TRAINING_RUNS),
);
const SELECTED_RUNS = only.includes('training')
  ? Object.keys(TRAINING_RUNS)
  : only.filter((p) => p.startsWith('training:')).map((p) => p.slice(9));
if (SELECTED_RUNS.length && !only.includes('training')) only.push('training');
if (unknown.length) {
  console.error(
    `bench: unknown part(s) ${unknown.join(', ')} (parts: ${PARTS.join(', ')}, training:<${Object.keys(TRAINING_RUNS).join('|')}>)`,
  );
  process.exit(2);
}
const QUICK = args.quick;
const OUT = QUICK ? join(HERE, 'out/quick') : join(HERE, 'out');
const REPORT = QUICK ? join(OUT, 'REPORT.md') : join(HERE, 'REPORT.md');
const PEER_EPOCHS = Number(args['peer-epochs'] ?? (QUICK ? 1 : 25));
const PEER_EPOCHS_BY_MODE = {
  fixed: PEER_EPOCHS,
  finetune: Number(args['peer-finetune-epochs'] ?? PEER_EPOCHS),
};
for (const [flag, n] of Object.entries(PEER_EPOCHS_BY_MODE)) {
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: PyTorch ${flag} epochs must be a positive integer, got ${n}`);
    process.exit(2);
  }
}
mkdirSync(OUT, { recursive: true });

const started = Date.now();
const step = (msg) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${msg}`);
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

/** Atomic JSON write: a part interrupted halfway never leaves a truncated file for the report. */
function writeJson(name, value) {
  const path = join(OUT, `${name}.json`);
  writeFileSync(`${path}.${process.pid}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.${process.pid}.tmp`, path);
}
const readJson = (name) => {
  const path = join(OUT, `${name}.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
};

// ---------------------------------------------------------------------------------------------
// Inputs: the same folders `npm run demo` uses.

function findDir(envVar, probe, cacheSub) {
  const env = process.env[envVar];
  if (env && existsSync(join(env, probe))) return join(env, probe);
  const cache = join(process.env.FERRY_CACHE_DIR ?? join(homedir(), '.cache/ferry'), cacheSub, probe);
  if (existsSync(cache)) return cache;
  return undefined;
}
const FULL_DATA = findDir('FERRY_DATA_DIR', 'hymenoptera_data', 'data');
const BACKBONE = findDir('FERRY_MODELS_DIR', 'mobilenet_v2_0.35_224', 'backbones');
if (!args.report && (!FULL_DATA || !BACKBONE)) {
  console.error(
    'bench: needs the ants/bees photos and the MobileNetV2 weights: set FERRY_DATA_DIR (containing\n' +
      'hymenoptera_data/) and FERRY_MODELS_DIR (containing mobilenet_v2_0.35_224/), or run `npm run demo`\n' +
      `once so they are cached (found data: ${FULL_DATA ?? 'no'}, backbone: ${BACKBONE ?? 'no'}).`,
  );
  process.exit(2);
}
if (!args.report && !existsSync(CLI)) {
  console.error(`bench: ${CLI} is missing; build first (npm install, or npx turbo run build)`);
  process.exit(2);
}

/**
 * --quick: the first few photos of each class, copied to a temp folder (outside the repository;
 * copies, not symlinks, because the trainer's folder scan lists regular files only).
 */
function quickData() {
  const dir = join(tmpdir(), 'ferry-bench-quick-data');
  rmSync(dir, { recursive: true, force: true });
  for (const [split, n] of [
    ['train', 12],
    ['val', 6],
  ]) {
    for (const label of readdirSync(join(FULL_DATA, split)).sort()) {
      mkdirSync(join(dir, split, label), { recursive: true });
      for (const f of readdirSync(join(FULL_DATA, split, label))
        .sort()
        .slice(0, n))
        copyFileSync(join(FULL_DATA, split, label, f), join(dir, split, label, f));
    }
  }
  return dir;
}
const DATA = QUICK && !args.report ? quickData() : FULL_DATA;
const count = (split) =>
  readdirSync(join(DATA, split)).reduce((s, l) => s + readdirSync(join(DATA, split, l)).length, 0);

// ---------------------------------------------------------------------------------------------
// Child processes: wall time, peak RSS of the whole process tree, last JSON line of stdout.

function treeRssMiB(rootPid) {
  const r = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' });
  if (r.status !== 0) return Number.NaN;
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows)
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
  }
  return rows.filter(([pid]) => tree.has(pid)).reduce((s, r) => s + r[2], 0) / 1024;
}

/** Runs a command; resolves with wall seconds, peak tree RSS, stdout and the last JSON line. */
function runChild(cmd, argv, { env = {}, label, echo = false } = {}) {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, treeRssMiB(child.pid));
    }, 500);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (echo) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearInterval(sampler);
      const wall = (performance.now() - t0) / 1000;
      const jsonLines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l);
          } catch {
            return undefined;
          }
        })
        .filter(Boolean);
      const result = { code, signal, wall_s: round(wall, 1), peak_rss_mib: Math.round(peak), stdout, stderr };
      result.json = jsonLines.at(-1);
      result.jsonLines = jsonLines;
      if (code !== 0) {
        step(
          `${label ?? cmd}: exit ${code ?? signal}; stderr tail:\n${stderr.trim().split('\n').slice(-8).join('\n')}`,
        );
      }
      done(result);
    });
  });
}
const round = (x, digits = 2) =>
  x == null || Number.isNaN(x) ? x : Math.round(x * 10 ** digits) / 10 ** digits;
const errorOf = (r) => r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${r.code}`;

// ---------------------------------------------------------------------------------------------
// Machine description, refreshed by every run.

function machine() {
  const osRelease = existsSync('/etc/os-release')
    ? /PRETTY_NAME="?([^"\n]*)/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
    : undefined;
  const py = spawnSync(
    PYTHON,
    ['-c', 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'],
    {
      encoding: 'utf8',
    },
  );
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ram_gib: round(totalmem() / 2 ** 30, 1),
    free_gib_at_start: round(freemem() / 2 ** 30, 1),
    os: `${osRelease ?? platform()} (kernel ${release()})`,
    node: process.version,
    python: spawnSync(PYTHON, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    torch: py.status === 0 ? py.stdout.trim() : 'missing',
    uptime: spawnSync('uptime', { encoding: 'utf8' }).stdout.trim(),
    loadavg_at_start: load(),
    quick: QUICK,
  };
}

/** PyTorch for the peer: Debian's python3-torch; installed when missing and we may (root). */
function ensureTorch() {
  const probe = () =>
    spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0;
  if (probe()) return true;
  if (process.getuid?.() === 0) {
    step('PyTorch missing: apt-get install -y python3-torch python3-torchvision');
    spawnSync('apt-get', ['install', '-y', 'python3-torch', 'python3-torchvision'], { stdio: 'inherit' });
    if (probe()) return true;
  }
  step('PyTorch missing: install python3-torch python3-torchvision (Debian) to run the peer; skipping it');
  return false;
}

// ---------------------------------------------------------------------------------------------
// Parts

const runDir = (mode) => join(OUT, 'runs', mode);

async function training() {
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

  const peerModes = ['fixed', 'finetune'].filter((m) => SELECTED_RUNS.includes(`pytorch-${m}`));
  const torch = peerModes.length > 0 && ensureTorch();
  if (torch) {
    step('training: proving the PyTorch port (features equal to tfjs within 1e-4)');
    const photos = [];
    for (const label of readdirSync(join(DATA, 'val')).sort())
      photos.push(
        ...readdirSync(join(DATA, 'val', label))
          .sort()
          .slice(0, 4)
          .map((f) => join(DATA, 'val', label, f)),
      );
    const check = await runChild(PYTHON, [join(PEER, 'check_port.py'), BACKBONE, ...photos], {
      label: 'check_port',
    });
    result.port_check = check.code === 0 ? { ok: true, ...check.json } : { ok: false, error: errorOf(check) };
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
      for (const mode of peerModes) {
        const name = `pytorch ${mode}`;
        const epochs = PEER_EPOCHS_BY_MODE[mode];
        step(`training: ${name} (${epochs} epochs, batch 4, ${threads} threads)`);
        const r = await runChild(
          PYTHON,
          [
            join(PEER, 'train.py'),
            '--data',
            DATA,
            '--backbone',
            BACKBONE,
            '--mode',
            mode,
            '--epochs',
            String(epochs),
            '--threads',
            String(threads),
          ],
          { label: name },
        );
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
              }
            : { error: errorOf(r), wall_s: r.wall_s };
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

function defaultRun() {
  const dir = runDir('features');
  if (!existsSync(join(dir, 'model.onnx'))) {
    throw new Error(
      `${dir}/model.onnx is missing: run the training part first (node bench/run.js --only training)`,
    );
  }
  return dir;
}

async function inference() {
  const dir = defaultRun();
  step(`inference: bench/inference.mjs ${dir}`);
  const before = load();
  const date = new Date().toISOString();
  const r = await runChild(
    process.execPath,
    [join(HERE, 'inference.mjs'), dir, '--seconds', QUICK ? '0.5' : '4'],
    {
      label: 'inference',
    },
  );
  const result =
    r.code === 0 && r.json
      ? { date, loadavg_before: before, ...r.json }
      : { date, loadavg_before: before, error: errorOf(r) };
  result.loadavg_after = load();
  writeJson('inference', result);
}

async function edge() {
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

async function memory() {
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

async function exportPart() {
  const dir = defaultRun();
  step('export: fp32 / fp16 / int8 exports, val accuracy with onnxruntime-node');
  const r = await runChild(
    process.execPath,
    [join(HERE, 'export-precision.mjs'), dir, join(DATA, 'val'), join(OUT, 'export')],
    { label: 'export' },
  );
  writeJson('export', {
    date: new Date().toISOString(),
    ...(r.code === 0 && r.json ? r.json : { error: errorOf(r) }),
  });
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x, d = 1) => (x == null || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)} %`);
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
const loadNote = (j) => {
  if (!j?.loadavg_before) return '';
  const note = `Load average (1/5/15 min) before ${j.loadavg_before.join(' / ')}, after ${j.loadavg_after?.join(' / ') ?? '–'}.`;
  const busiest = Math.max(j.loadavg_before[0], j.loadavg_after?.[0] ?? 0);
  // Figures taken while other work held the cores measure the contention as much as the code.
  return busiest > cpus().length
    ? `${note} **The load was above the ${cpus().length} cores: other processes competed for the CPU, so times are inflated and noisy, multi-threaded runtimes (PyTorch, onnxruntime-node) most.**`
    : note;
};

function trainingSection(t) {
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
            : `best of ${v.epochs} epochs (final ${pct(v.final_val_accuracy)}); ${fmt(v.train_images_per_s)} train img/s; torch ${v.torch}, ${v.threads} threads`,
      ]),
    ),
  );
  const pairs = [
    ['ferry features (default)', 'pytorch fixed'],
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
    const p = r['pytorch fixed'];
    if (f && p && !f.error && !p.error) {
      const accOk = f.val_accuracy >= p.val_accuracy;
      const timeOk = f.wall_s <= p.wall_s / 5;
      lines.push(
        '',
        `Target (issue 7): default \`ferry train\` at least as accurate as PyTorch fixed-feature-extractor (${accOk ? 'met' : 'NOT met'}) in at most one fifth of its wall time (${timeOk ? 'met' : 'NOT met'}: ${fmt(f.wall_s)} s vs ${fmt(p.wall_s / 5)} s).`,
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
      '',
      'The seed-7 runs start with the feature cache the seed-42 runs left (same plain views), so their wall time and peak RSS are not cold-cache figures.',
    );
  }
  lines.push(
    '',
    'Wall time is the whole process (start-up, decoding, training, evaluation; Ferry also writes model.onnx and report.html), with a cold feature cache. Both sides pick the best epoch on val, as the tutorial does. Ferry features mode trains its head on cached, augmented backbone features; PyTorch fixed runs the backbone on every image every epoch, as the tutorial recipe does.',
  );
  return lines.join('\n');
}

function inferenceSection(inf, edgeResult) {
  if (!inf) return '_Not run yet (`node bench/run.js --only inference`)._';
  if (inf.error) return `Inference failed: ${inf.error}`;
  const names = Object.keys(inf.results);
  const ortNode = inf.results['onnxruntime-node'];
  const rows = names.map((name) => {
    const v = inf.results[name];
    if (v.error) return [name, 'error', 'error', '–', '–'];
    return [
      name,
      fmt(v[1]?.msPerImage, 2),
      fmt(v[32]?.msPerImage, 2),
      ortNode ? fmt(v[1]?.msPerImage / ortNode[1].msPerImage, 2) : '–',
      ortNode ? fmt(v[32]?.msPerImage / ortNode[32].msPerImage, 2) : '–',
    ];
  });
  if (edgeResult && !edgeResult.error)
    rows.push([
      'workerd via the edge API (POST /v1/classify, JPEG in: decode + preprocess + HTTP)',
      fmt(edgeResult.sequential.classify_p50_ms, 2),
      '–',
      ortNode ? fmt(edgeResult.sequential.classify_p50_ms / ortNode[1].msPerImage, 2) : '–',
      '–',
    ]);
  return [
    `Measured ${inf.date}. Model ${inf.model} (${inf.input}), the default run's checkpoint / model.onnx; same preprocessed random input everywhere, median batch time / batch. ${loadNote(inf)}`,
    '',
    table(
      [
        'runtime',
        'batch 1 ms/image',
        'batch 32 ms/image',
        'ratio to ort-node (b1)',
        'ratio to ort-node (b32)',
      ],
      rows,
    ),
  ].join('\n');
}

function edgeSection(e) {
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

function memorySection(m, t) {
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

function exportSection(x) {
  if (!x) return '_Not run yet (`node bench/run.js --only export`)._';
  if (x.error) return `Export failed: ${x.error}`;
  const rows = Object.entries(x.results).map(([p, v]) => [
    p,
    mib(v.bytes),
    pct(v.val_accuracy),
    v.top1_agreement_with_fp32 == null ? '(reference)' : pct(v.top1_agreement_with_fp32),
    v.max_probability_diff_vs_fp32 == null ? '–' : v.max_probability_diff_vs_fp32.toExponential(2),
    `${v.export_ms} ms`,
  ]);
  const n = Object.values(x.results)[0]?.val_images;
  return [
    `Measured ${x.date}: the default run exported with \`exportRunToOnnx({ precision })\`, each file run with onnxruntime-node through core's createClassifier on ${n} val photos decoded by sharp.${x.undecodable?.length ? ` Undecodable: ${x.undecodable.map((u) => u.file).join(', ')}.` : ''}`,
    '',
    table(
      [
        'precision',
        'size',
        'val accuracy',
        'top-1 agreement with fp32',
        'max probability diff vs fp32',
        'export time',
      ],
      rows,
    ),
  ].join('\n');
}

function writeReport() {
  const m = readJson('machine');
  const t = readJson('training');
  const inf = readJson('inference');
  const e = readJson('edge');
  const mem = readJson('memory');
  const x = readJson('export');
  const md = [
    `# Ferry benchmark report${QUICK ? ' (QUICK SMOKE RUN: not representative)' : ''}`,
    '',
    'Written by `npm run bench` (`node bench/run.js`); every figure below comes from that run. Rerun one part with `node bench/run.js --only <part>`.',
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['date', m?.date ?? '–'],
        ['CPU', `${m?.cpu} (${m?.cores} cores)`],
        ['RAM', `${m?.ram_gib} GiB (${m?.free_gib_at_start} GiB free at start)`],
        ['OS', m?.os ?? '–'],
        ['Node', m?.node ?? '–'],
        ['Python / PyTorch, torchvision', `${m?.python} / ${m?.torch}`],
        ['uptime at start', `\`${m?.uptime}\``],
      ],
    ),
    '',
    'The machine is shared with other engineers; each section records the load average around its own measurements.',
    '',
    '## 1. Training: Ferry vs the PyTorch transfer-learning tutorial',
    '',
    trainingSection(t),
    '',
    '## 2. Inference',
    '',
    inferenceSection(inf, e),
    '',
    '## 3. Edge load',
    '',
    edgeSection(e),
    '',
    '## 4. Memory',
    '',
    memorySection(mem, t),
    '',
    '## 5. Export precision',
    '',
    exportSection(x),
    '',
  ].join('\n');
  writeFileSync(`${REPORT}.${process.pid}.tmp`, md);
  renameSync(`${REPORT}.${process.pid}.tmp`, REPORT);
}

// ---------------------------------------------------------------------------------------------

const run = { training, inference, edge, memory, export: exportPart };
step(`bench${QUICK ? ' --quick' : ''}: parts ${only.join(', ')}; output ${OUT}`);
if (!args.report) writeJson('machine', machine());
let failed = 0;
let peer;
for (const part of PARTS.filter((p) => only.includes(p))) {
  try {
    const rest = await run[part]();
    if (part === 'training') peer = rest;
  } catch (error) {
    failed++;
    step(`${part}: ${error.message}`);
    writeJson(part, { date: new Date().toISOString(), error: error.message });
  }
  writeReport(); // the report is current after every part
}
if (peer) {
  try {
    await peer();
  } catch (error) {
    failed++;
    step(`training (PyTorch peer): ${error.message}`);
  }
}
writeReport();
step(`report: ${REPORT}${failed ? ` (${failed} part(s) failed, see above)` : ''}`);
