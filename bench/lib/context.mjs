/**
 * What every bench part shares: the command line, where data and outputs live, child processes
 * with their peak RSS, JSON results in bench/out, the machine description.
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

export const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(HERE, '..');
// The `ferry` CLI of the installed @ferry/trainer (its main is dist/index.js, beside dist/cli.js).
export const CLI = join(dirname(fileURLToPath(import.meta.resolve('@ferry/trainer'))), 'cli.js');
export const PEER = join(HERE, 'peer-pytorch');
export const PYTHON = '/usr/bin/python3';
/** Paths in the report are relative to the repository, so it names no one's machine. */
export const shownPath = (path) => (path ? relative(ROOT, path) || '.' : path);
export const PARTS = [
  'training',
  'peers',
  'inference',
  'edge',
  'uploads',
  'memory',
  'export',
  'open-set',
  'in-page',
];

export const { values: args } = parseArgs({
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
    readFileSync(join(HERE, 'run.js'), 'utf8')
      .split('*/')[0]
      .replace(/^#!.*\n\/\*\*?/, ''),
  );
  process.exit(0);
}
/** Training runs, selectable one by one with --only training:<id> (merged into training.json). */
export const TRAINING_RUNS = {
  'ferry-features': 'ferry features (default)',
  'ferry-finetune': 'ferry finetune',
  // A second seed for the finetune >= features target: one val set of 153 photos is noisy.
  'ferry-features-seed7': 'ferry features (seed 7)',
  'ferry-finetune-seed7': 'ferry finetune (seed 7)',
  'pytorch-fixed': 'pytorch fixed',
  'pytorch-fixed-eval': 'pytorch fixed (backbone in eval mode)',
  'pytorch-finetune': 'pytorch finetune',
};
export const only = args.report ? [] : args.only ? args.only.split(',').map((s) => s.trim()) : [...PARTS];
export const unknown = only.filter(
  (p) => !PARTS.includes(p) && !(p.startsWith('training:') && p.slice(9) in TRAINING_RUNS),
);
export const SELECTED_RUNS = only.includes('training')
  ? Object.keys(TRAINING_RUNS)
  : only.filter((p) => p.startsWith('training:')).map((p) => p.slice(9));
if (SELECTED_RUNS.length && !only.includes('training')) only.push('training');
if (unknown.length) {
  console.error(
    `bench: unknown part(s) ${unknown.join(', ')} (parts: ${PARTS.join(', ')}, training:<${Object.keys(TRAINING_RUNS).join('|')}>)`,
  );
  process.exit(2);
}
export const QUICK = args.quick;
export const OUT = QUICK ? join(HERE, 'out/quick') : join(HERE, 'out');
export const REPORT = QUICK ? join(OUT, 'REPORT.md') : join(HERE, 'REPORT.md');
export const PEER_EPOCHS = Number(args['peer-epochs'] ?? (QUICK ? 1 : 25));
export const PEER_EPOCHS_BY_MODE = {
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

export const started = Date.now();
export const step = (msg) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${msg}`);
export const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

/** Atomic JSON write: a part interrupted halfway never leaves a truncated file for the report. */
export function writeJson(name, value) {
  const path = join(OUT, `${name}.json`);
  writeFileSync(`${path}.${process.pid}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.${process.pid}.tmp`, path);
}
export const readJson = (name) => {
  const path = join(OUT, `${name}.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
};

// ---------------------------------------------------------------------------------------------
// Inputs: the same folders `npm run demo` uses.

export function findDir(envVar, probe, cacheSub) {
  const env = process.env[envVar];
  if (env && existsSync(join(env, probe))) return join(env, probe);
  const cache = join(process.env.FERRY_CACHE_DIR ?? join(homedir(), '.cache/ferry'), cacheSub, probe);
  if (existsSync(cache)) return cache;
  return undefined;
}
export const FULL_DATA = findDir('FERRY_DATA_DIR', 'hymenoptera_data', 'data');
export const BACKBONE = findDir('FERRY_MODELS_DIR', 'mobilenet_v2_0.35_224', 'backbones');
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
export function quickData() {
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
export const DATA = QUICK && !args.report ? quickData() : FULL_DATA;
export const count = (split) =>
  readdirSync(join(DATA, split)).reduce((s, l) => s + readdirSync(join(DATA, split, l)).length, 0);

// ---------------------------------------------------------------------------------------------
// Child processes: wall time, peak RSS of the whole process tree, last JSON line of stdout.

export function treeRssMiB(rootPid) {
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
export function runChild(cmd, argv, { env = {}, label, echo = false } = {}) {
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
    // Arrival time (s since spawn) of each stdout line that is JSON, for time splits.
    const lineTimes = [];
    let partialLine = '';
    const sampler = setInterval(() => {
      peak = Math.max(peak, treeRssMiB(child.pid));
    }, 500);
    child.stdout.on('data', (d) => {
      stdout += d;
      const now = (performance.now() - t0) / 1000;
      const lines = (partialLine + d).split('\n');
      partialLine = lines.pop();
      for (const l of lines) if (l.startsWith('{')) lineTimes.push(now);
      if (echo) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearInterval(sampler);
      const wall = (performance.now() - t0) / 1000;
      if (partialLine.startsWith('{')) lineTimes.push(wall);
      const parsed = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l, i) => {
          try {
            return { json: JSON.parse(l), t: lineTimes[i] };
          } catch {
            return undefined;
          }
        })
        .filter(Boolean);
      const jsonLines = parsed.map((p) => p.json);
      const result = { code, signal, wall_s: round(wall, 1), peak_rss_mib: Math.round(peak), stdout, stderr };
      result.json = jsonLines.at(-1);
      result.jsonLines = jsonLines;
      result.jsonTimes = parsed.map((p) => p.t);
      if (code !== 0) {
        step(
          `${label ?? cmd}: exit ${code ?? signal}; stderr tail:\n${stderr.trim().split('\n').slice(-8).join('\n')}`,
        );
      }
      done(result);
    });
  });
}
export const round = (x, digits = 2) =>
  x == null || Number.isNaN(x) ? x : Math.round(x * 10 ** digits) / 10 ** digits;
export const errorOf = (r) => r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${r.code}`;

// ---------------------------------------------------------------------------------------------
// Machine description, refreshed by every run.

export function machine() {
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

/**
 * PyTorch for the peer: Debian's python3-torch. The bench installs nothing itself: without it the
 * peer is skipped with the command that installs it.
 */
export function ensureTorch() {
  if (spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0) return true;
  step('PyTorch missing: apt-get install python3-torch python3-torchvision to run the peer; skipping it');
  return false;
}

export const runDir = (mode) => join(OUT, 'runs', mode);

export function defaultRun() {
  const dir = runDir('features');
  if (!existsSync(join(dir, 'model.onnx'))) {
    throw new Error(
      `${dir}/model.onnx is missing: run the training part first (node bench/run.js --only training)`,
    );
  }
  return dir;
}

/**
 * The PyTorch port proves itself before any peer runs: check_port.py's features of four val
 * photos per class must equal tfjs' within 1e-4 ({ ok, max_abs_diff } or { ok: false, error }).
 */
export async function checkPort() {
  const photos = readdirSync(join(DATA, 'val'))
    .sort()
    .flatMap((label) =>
      readdirSync(join(DATA, 'val', label))
        .sort()
        .slice(0, 4)
        .map((f) => join(DATA, 'val', label, f)),
    );
  const check = await runChild(PYTHON, [join(PEER, 'check_port.py'), BACKBONE, ...photos], {
    label: 'check_port',
  });
  return check.code === 0 ? { ok: true, ...check.json } : { ok: false, error: errorOf(check) };
}
