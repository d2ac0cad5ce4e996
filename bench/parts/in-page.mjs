/**
 * The in-page part of the bench: the train view (@ferry/web-demo's train/) in headless Chromium on
 * this machine against `ferry train` in the same run. Per dataset (ants/bees, the 12 flowers, and
 * a 1,000-photo set for the memory target): the default `ferry train`, cold, as the peers part
 * runs it, and the page, cold (a fresh Chromium profile: no cached backbone or features), timed
 * from `page.goto` and from the folder input to `data-train="done"`, with the RSS and PSS of the
 * Chromium processes sampled every 200 ms. Reports, never asserts.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelSpecFromOnnx } from '@ferry/core';
import { serveStaticSite } from '@ferry/edge-api/node';
import { chromium } from 'playwright-core';
import {
  BACKBONE,
  DATA,
  FULL_DATA,
  findDir,
  load,
  QUICK,
  ROOT,
  round,
  shownPath,
  step,
  writeJson,
} from '../lib/context.mjs';
import { fmt, loadNote, pct, table } from '../lib/format.mjs';
import { ferryDefault } from './peers.mjs';

const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
/** The web demo's package folder, found by name as `npm run demo` finds it. */
const WEB_DEMO = dirname(fileURLToPath(import.meta.resolve('@ferry/web-demo/package.json')));
/**
 * The build served: the web demo's dist/, or FERRY_WEB_DEMO_DIST: another checkout's web-demo
 * dist/ (e.g. a clean worktree of a commit while this checkout holds work in progress).
 */
const SITE = process.env.FERRY_WEB_DEMO_DIST
  ? resolve(process.env.FERRY_WEB_DEMO_DIST)
  : join(WEB_DEMO, 'dist');
/** The sources that build lives beside (its package folder). */
const SITE_SOURCES = dirname(SITE);
/** Sources that are not part of the page's build: its tests and their helpers. */
const NOT_BUILT = /\.test\.ts$|\/test-support\//;
/** The photos the memory target is stated at. */
const MEMORY_PHOTOS = 1000;
/** The memory target (issue wording: "page memory <= 400 MB at 1,000 photos"), in MiB. */
const MEMORY_TARGET_MIB = 400e6 / 2 ** 20;
const SAMPLE_MS = 200;
/** PSS (smaps_rollup) and the process tree every this many samples: once a second. */
const PSS_EVERY = 5;
/** Linux page size, for /proc/<pid>/statm. */
const PAGE_BYTES = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout) || 4096;
const QUIET_LOAD = 1.0;
const QUIET_POLL_S = 30;
const QUIET_MAX_S = 15 * 60;
const PHOTO = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

// ---------------------------------------------------------------------------------------------
// Inputs: the built site, the datasets.

/**
 * The built page, copied to a folder of the bench's own, so that a rebuild by another user of this
 * checkout during the part cannot change what is measured halfway; built here when missing.
 * Returns what was built from (commit, uncommitted sources, sources newer than the build).
 */
function snapshotSite(into, tries = 0) {
  if (!existsSync(join(SITE, 'train', 'index.html')) && process.env.FERRY_WEB_DEMO_DIST)
    throw new Error(`FERRY_WEB_DEMO_DIST=${SITE} holds no built page (train/index.html)`);
  if (!existsSync(join(SITE, 'train', 'index.html'))) {
    step('in-page: the web demo is not built; npm run build -w @ferry/web-demo');
    const r = spawnSync('npm', ['run', 'build', '-w', '@ferry/web-demo'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(join(SITE, 'train', 'index.html')))
      throw new Error('npm run build -w @ferry/web-demo failed: the part needs the built page');
  }
  const built = statSync(join(SITE, 'train', 'index.html')).mtimeMs;
  const newer = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (statSync(p).mtimeMs > built && !NOT_BUILT.test(p)) newer.push(p);
    }
  };
  for (const d of ['src', 'train']) walk(join(SITE_SOURCES, d));
  if (newer.length)
    step(
      `in-page: WARNING: ${newer.length} web-demo source file(s) are newer than the build; rebuild with npm run build -w @ferry/web-demo`,
    );
  const git = (...a) => spawnSync('git', a, { cwd: SITE_SOURCES, encoding: 'utf8' }).stdout?.trim() ?? '';
  // Uncommitted changes to the page's sources (tests aside): the build may hold them.
  const dirty = git('status', '--porcelain', '--', join(SITE_SOURCES, 'src'), join(SITE_SOURCES, 'train'))
    .split('\n')
    .filter((l) => l && !NOT_BUILT.test(l));
  rmSync(into, { recursive: true, force: true });
  cpSync(SITE, into, { recursive: true });
  // A build landing during the copy shows as a changed index.html: copy again.
  if (
    !existsSync(join(SITE, 'train', 'index.html')) ||
    statSync(join(SITE, 'train', 'index.html')).mtimeMs !== built
  ) {
    if (tries === 3) throw new Error(`${SITE} kept changing while it was copied`);
    return snapshotSite(into, tries + 1);
  }
  return {
    built: new Date(built).toISOString(),
    sources_newer: newer.length,
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommitted: dirty.map((l) => l.slice(3).replace(/^.*?web-demo\//, '')),
    ...(process.env.FERRY_WEB_DEMO_DIST ? { given: 'FERRY_WEB_DEMO_DIST' } : {}),
  };
}

/** Photo files under `dir` (recursively): what the page counts as "N photos ready". */
function countPhotos(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) n += countPhotos(join(dir, e.name));
    else if (PHOTO.test(e.name)) n++;
  }
  return n;
}

/** A hard link (a regular file, as the trainer's folder scan wants), else a copy. */
function place(from, to) {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * The first `perSplit[split]` photos of each class of a train/+val/ tree into `dir/<split>/<class>`,
 * or all of them into one class `into` (file names prefixed with their class).
 */
function addClasses(src, dir, perSplit, { into } = {}) {
  for (const [split, n] of Object.entries(perSplit)) {
    for (const label of readdirSync(join(src, split)).sort()) {
      const cls = into ?? label;
      mkdirSync(join(dir, split, cls), { recursive: true });
      for (const f of readdirSync(join(src, split, label))
        .sort()
        .slice(0, n))
        place(join(src, split, label, f), join(dir, split, cls, into ? `${label}_${f}` : f));
    }
  }
}

/**
 * ants/bees and the flowers as they are (a few photos per class with --quick), and the memory set:
 * the flowers' 960 photos plus 40 of ants/bees as a 13th class (16 + 16 train, 4 + 4 val) = 1,000.
 */
function datasets() {
  const flowers = findDir('FERRY_DATA_DIR', 'oxford_flowers12', 'data');
  const scratch = join(tmpdir(), `ferry-bench-in-page${QUICK ? '-quick' : ''}`);
  rmSync(scratch, { recursive: true, force: true });
  const sets = [{ name: 'ants-bees', data: DATA }];
  if (!flowers) {
    step('in-page: FERRY_DATA_DIR/oxford_flowers12 not found: ants/bees only');
    return sets;
  }
  let flowerSet = flowers;
  if (QUICK) {
    flowerSet = join(scratch, 'flowers12');
    addClasses(flowers, flowerSet, { train: 4, val: 2 });
  }
  sets.push({ name: 'flowers12', data: flowerSet });
  const mixed = join(scratch, `photos-${MEMORY_PHOTOS}`);
  addClasses(flowers, mixed, QUICK ? { train: 4, val: 2 } : { train: 1e9, val: 1e9 });
  addClasses(FULL_DATA, mixed, QUICK ? { train: 2, val: 1 } : { train: 16, val: 4 }, {
    into: 'ants-and-bees',
  });
  const label = QUICK
    ? 'flowers12 + ants/bees as a 13th class'
    : `${MEMORY_PHOTOS} photos (flowers12 + ants/bees as a 13th class)`;
  sets.push({ name: label, data: mixed, memory: true });
  return sets;
}

// ---------------------------------------------------------------------------------------------
// Load: wait for a quiet machine before each measurement.

async function waitForQuiet() {
  const t0 = Date.now();
  if (QUICK) return { waited_s: 0, quiet: load()[0] < QUIET_LOAD, skipped: 'quick' };
  for (;;) {
    const l = load()[0];
    const waited = (Date.now() - t0) / 1000;
    if (l < QUIET_LOAD) return { waited_s: Math.round(waited), quiet: true, load1: l };
    if (waited >= QUIET_MAX_S) {
      step(`in-page: load ${l} still >= ${QUIET_LOAD} after ${Math.round(waited)} s: measuring anyway`);
      return { waited_s: Math.round(waited), quiet: false, load1: l };
    }
    step(
      `in-page: waiting for a quiet machine (1-min load ${l} >= ${QUIET_LOAD}; ${Math.round(waited)} s so far)`,
    );
    await new Promise((r) => setTimeout(r, QUIET_POLL_S * 1000));
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium's memory: RSS and PSS of the browser's process tree from /proc, every 200 ms.

const readText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};
/** pid -> { ppid, cpu ticks } of every process now. */
function processTable() {
  const rows = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    if (!stat) continue;
    // "pid (comm) state ppid ... utime stime ...": comm may hold spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    rows.set(Number(name), { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) });
  }
  return rows;
}
const kib = (text, key) =>
  Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text ?? '')?.[1] ?? Number.NaN);

/** Busy CPU ticks of the whole machine (all cores), from /proc/stat's first line. */
function machineBusyTicks() {
  const f = (readText('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0);
}
/** This process's own CPU ticks and those of its reaped children (a finished `ferry train`). */
function benchTicks() {
  const stat = readText('/proc/self/stat') ?? '';
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return { self: f[11] + f[12], children: f[13] + f[14] };
}
const TICK_S = 0.01; // USER_HZ

/**
 * Who else used the CPU during a measurement: the machine's busy CPU-seconds minus the measured
 * run's own and the bench's. `end(ownTicks)` takes the run's CPU ticks (null: reaped children).
 */
function cpuWindow() {
  const t0 = performance.now();
  const busy0 = machineBusyTicks();
  const bench0 = benchTicks();
  return (ownTicks) => {
    const wall = (performance.now() - t0) / 1000;
    const busy = (machineBusyTicks() - busy0) * TICK_S;
    const bench = benchTicks();
    const self = (bench.self - bench0.self) * TICK_S;
    const own = ownTicks == null ? (bench.children - bench0.children) * TICK_S : ownTicks * TICK_S;
    return {
      wall_s: round(wall, 2),
      machine_busy_cpu_s: round(busy, 2),
      own_cpu_s: round(own, 2),
      bench_cpu_s: round(self, 2),
      others_cpu_s: round(Math.max(0, busy - own - self), 2),
    };
  };
}

/** The launched browser: the topmost process whose command line names this profile. */
function browserRoot(profile) {
  const table = processTable();
  const named = [...table.keys()].filter((pid) =>
    (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').includes(`--user-data-dir=${profile}`),
  );
  return named.find((pid) => !named.includes(table.get(pid).ppid));
}

/**
 * Samples the tree under `root` until stopped: per process its RSS, PSS and CPU ticks; peaks of
 * each process, of the sums, and of each phase the driver names.
 */
function startSampler(root) {
  const t0 = performance.now();
  const procs = new Map(); // pid -> { type, peak_rss, peak_pss, cpu }
  const total = { rss: 0, pss: 0 };
  const phases = {};
  const timeline = [];
  let phase = 'load';
  let lastTimeline = -1;
  let samples = 0;
  let tree = new Set([root]);
  let pss = 0;
  /**
   * RSS (statm) every sample; every PSS_EVERY-th sample (and when forced) also the process tree,
   * CPU ticks and PSS: smaps_rollup costs milliseconds per process and takes each process's
   * memory-map lock, too much to read five times a second beside the page it measures.
   */
  const sample = (full = samples % PSS_EVERY === 0) => {
    if (full) {
      const table = processTable();
      tree = new Set([root]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const [pid, { ppid }] of table)
          if (tree.has(ppid) && !tree.has(pid)) {
            tree.add(pid);
            grew = true;
          }
      }
      for (const pid of tree) {
        if (!procs.has(pid)) {
          // Zygote-forked children rewrite their title: one space-separated string, not NUL-separated.
          const cmd = readText(`/proc/${pid}/cmdline`) ?? '';
          const type = /(?:^|[\0 ])--type=([\w-]+)/.exec(cmd)?.[1] ?? (pid === root ? 'browser' : 'other');
          procs.set(pid, { type, peak_rss: 0, peak_private: 0, peak_pss: 0, cpu: 0 });
        }
        const p = procs.get(pid);
        p.cpu = table.get(pid)?.cpu ?? p.cpu;
      }
      pss = 0;
      for (const pid of tree) {
        const s = kib(readText(`/proc/${pid}/smaps_rollup`), 'Pss');
        if (!Number.isFinite(s)) continue;
        pss += s;
        procs.get(pid).peak_pss = Math.max(procs.get(pid).peak_pss, s);
      }
      total.pss = Math.max(total.pss, pss);
    }
    let rss = 0;
    let rendererRss = 0;
    for (const pid of tree) {
      const statm = readText(`/proc/${pid}/statm`);
      const p = procs.get(pid);
      if (!statm || !p) continue;
      const r = (Number(statm.split(' ')[1]) * PAGE_BYTES) / 1024;
      rss += r;
      p.peak_rss = Math.max(p.peak_rss, r);
      // The renderer's own memory: RSS less its file-backed pages (the Chromium binary, libraries
      // and fonts every renderer maps), shared memory with the browser kept in; close to what
      // Chrome's task manager shows as a tab's memory footprint.
      if (p.type === 'renderer') {
        const file = kib(readText(`/proc/${pid}/status`), 'RssFile');
        if (Number.isFinite(file)) p.peak_private = Math.max(p.peak_private, r - file);
        rendererRss = Math.max(rendererRss, r);
      }
    }
    samples++;
    total.rss = Math.max(total.rss, rss);
    phases[phase] ??= { renderer_rss: 0, total_pss: 0 };
    const ph = phases[phase];
    ph.renderer_rss = Math.max(ph.renderer_rss, rendererRss);
    if (full) ph.total_pss = Math.max(ph.total_pss, pss);
    const t = (performance.now() - t0) / 1000;
    if (Math.floor(t) > lastTimeline) {
      lastTimeline = Math.floor(t);
      timeline.push([round(t, 1), phase, Math.round(rendererRss / 1024), Math.round(pss / 1024)]);
    }
  };
  sample(true);
  const timer = setInterval(sample, SAMPLE_MS);
  const mib = (k) => round(k / 1024, 1);
  return {
    phase(name) {
      sample(true);
      phase = name;
    },
    /** CPU ticks of every process of the tree so far (exited ones at their last sample). */
    cpuTicks() {
      sample(true);
      return [...procs.values()].reduce((sum, p) => sum + p.cpu, 0);
    },
    stop() {
      sample(true);
      clearInterval(timer);
      const renderers = [...procs].filter(([, p]) => p.type === 'renderer');
      // The page's renderer is the one that worked: the worker computing features lives in it.
      const [pid, page] = renderers.sort((a, b) => b[1].cpu - a[1].cpu)[0] ?? [];
      return {
        samples,
        interval_ms: SAMPLE_MS,
        pss_interval_ms: SAMPLE_MS * PSS_EVERY,
        page_renderer: page
          ? {
              pid,
              peak_rss_mib: mib(page.peak_rss),
              peak_private_mib: mib(page.peak_private),
              peak_pss_mib: mib(page.peak_pss),
              cpu_s: page.cpu / 100,
            }
          : undefined,
        renderers_seen: renderers.length,
        max_renderer_rss_mib: mib(Math.max(0, ...renderers.map(([, p]) => p.peak_rss))),
        all: {
          processes_seen: procs.size,
          peak_rss_sum_mib: mib(total.rss),
          peak_pss_sum_mib: mib(total.pss),
        },
        by_type: Object.fromEntries(
          [...new Set([...procs.values()].map((p) => p.type))].map((type) => [
            type,
            mib(Math.max(...[...procs.values()].filter((p) => p.type === type).map((p) => p.peak_rss))),
          ]),
        ),
        phases: Object.fromEntries(
          Object.entries(phases).map(([k, v]) => [
            k,
            { renderer_rss_mib: mib(v.renderer_rss), total_pss_mib: mib(v.total_pss) },
          ]),
        ),
        timeline,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The page, driven like a user (the steps of web-demo's train-driver, by hand here).

const FEATURES_TIMEOUT = 40 * 60_000;
const TRAIN_TIMEOUT = 20 * 60_000;

/** "Val accuracy 93.5% on 153 held-out photos (10 wrong), ... Trained on 245 photos in 1.2 s." */
function parseSummary(text) {
  const m = /Val accuracy ([\d.]+)% on (\d+) held-out photos \((\d+) wrong\)/.exec(text);
  const s = /Trained on (\d+) photos in ([\d.]+) s/.exec(text);
  if (!m) return {};
  const n = Number(m[2]);
  const wrong = Number(m[3]);
  return {
    shown: `${m[1]}%`,
    val_photos: n,
    val_wrong: wrong,
    val_accuracy: (n - wrong) / n,
    ...(s ? { train_photos: Number(s[1]), page_train_s: Number(s[2]) } : {}),
  };
}

async function pageRun(siteUrl, data, photos) {
  const profile = mkdtempSync(join(tmpdir(), 'ferry-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    // The flags of web-demo's tests (chromium.ts).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const errors = [];
  let sampler;
  try {
    const root = browserRoot(profile);
    if (!root) throw new Error(`no Chromium process with --user-data-dir=${profile} found in /proc`);
    sampler = startSampler(root);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    page.on('crash', () => errors.push('the page crashed'));
    page.on('dialog', (d) => void d.accept());
    const state = async () =>
      page
        .evaluate(() => ({
          ...document.body.dataset,
          features: document.getElementById('features-text')?.textContent,
          notice: document.getElementById('notice')?.textContent,
          train: document.getElementById('train-text')?.textContent,
        }))
        .catch((e) => ({ error: e.message }));
    const stalled = async (what, error) =>
      new Error(`${what}: ${error.message.split('\n')[0]}; page state ${JSON.stringify(await state())}`);

    const cpu0 = sampler.cpuTicks();
    const cpuSince = cpuWindow();
    const t0 = performance.now();
    const at = () => (performance.now() - t0) / 1000;
    await page.goto(`${siteUrl}train/`);
    await page.waitForSelector('body[data-project="loaded"]', { timeout: 120_000 });
    const tLoaded = at();
    await page.waitForSelector('body[data-backbone="ready"], body[data-backbone="error"]', {
      timeout: 600_000,
    });
    if ((await page.getAttribute('body', 'data-backbone')) !== 'ready')
      throw new Error(`the backbone failed in the page: ${await page.textContent('#notice')}`);
    const tBackbone = at();
    sampler.phase('features');
    await page.setInputFiles('#folder-input', data);
    await page
      .waitForFunction(
        (n) =>
          document.body.dataset.features === 'idle' &&
          (document.getElementById('features-text')?.textContent ?? '').startsWith(`${n} photos ready`),
        photos,
        { timeout: FEATURES_TIMEOUT, polling: 100 },
      )
      .catch(async (e) => {
        throw await stalled(`features of ${photos} photos not ready`, e);
      });
    const tFeatures = at();
    sampler.phase('train');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page
      .waitForSelector('body[data-train="done"], body[data-train="error"]', { timeout: TRAIN_TIMEOUT })
      .catch(async (e) => {
        throw await stalled('training did not finish', e);
      });
    const tDone = at();
    const cpu = cpuSince(sampler.cpuTicks() - cpu0);
    const memory = sampler.stop();
    sampler = undefined;
    if ((await page.getAttribute('body', 'data-train')) !== 'done')
      throw new Error(`training failed in the page: ${await page.textContent('#notice')}`);
    const summary = (await page.textContent('#summary')) ?? '';
    const env = await page.evaluate(() => ({
      crossOriginIsolated: globalThis.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
      featuresText: document.getElementById('features-text')?.textContent,
      backbone: document.getElementById('backbone-status')?.textContent,
      unreadable: document.querySelectorAll('.photo-errors li').length,
      skipped: document.querySelectorAll('#messages li').length,
    }));
    // The downloaded file's own figure (its spec's training.valAccuracy), after the clock stopped.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download model.onnx' }).click(),
    ]);
    const modelPath = join(profile, 'model.onnx');
    await download.saveAs(modelPath);
    const bytes = readFileSync(modelPath);
    const spec = readModelSpecFromOnnx(bytes);
    return {
      total_s: round(tDone, 2),
      photos_to_model_s: round(tDone - tBackbone, 2),
      split_s: {
        page_load: round(tLoaded, 2),
        backbone: round(tBackbone - tLoaded, 2),
        features: round(tFeatures - tBackbone, 2),
        training: round(tDone - tFeatures, 2),
      },
      summary,
      ...parseSummary(summary),
      model_val_accuracy: spec.training?.valAccuracy,
      model_mib: round(bytes.length / 2 ** 20, 2),
      memory,
      cpu,
      env,
      errors: errors.slice(0, 20),
    };
  } finally {
    sampler?.stop();
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}

const chromiumVersion = () =>
  spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';

// ---------------------------------------------------------------------------------------------

/**
 * In-page part: per dataset, REPEATS rounds of `ferry train` (default, cold) and the page (cold,
 * fresh profile) one after the other, each round after the machine is quiet, the order
 * alternating between rounds and datasets so neither side always gets the quieter machine.
 */
export async function inPagePart() {
  const REPEATS = QUICK ? 1 : 2;
  const result = {
    date: new Date().toISOString(),
    loadavg_before: load(),
    cores: cpus().length,
    repeats: REPEATS,
    datasets: {},
  };
  if (!existsSync(CHROMIUM)) {
    result.error = `${CHROMIUM} not found (apt-get install chromium, or set FERRY_CHROMIUM)`;
    writeJson('in-page', result);
    return;
  }
  result.chromium = chromiumVersion();
  const siteRoot = join(tmpdir(), `ferry-bench-in-page-site-${process.pid}`);
  result.site = snapshotSite(siteRoot);
  const overrides = new Map([['/backbones/mobilenet_v2_0.35_224/model.json', join(BACKBONE, 'model.json')]]);
  const manifest = JSON.parse(readFileSync(join(BACKBONE, 'model.json'), 'utf8'));
  for (const p of manifest.weightsManifest.flatMap((g) => g.paths))
    overrides.set(`/backbones/mobilenet_v2_0.35_224/${p}`, join(BACKBONE, p));
  const site = await serveStaticSite({ root: siteRoot, overrides });
  try {
    const sets = datasets();
    for (const [i, { name, data, memory }] of sets.entries()) {
      const photos = countPhotos(data);
      const d = { data: shownPath(data), photos, memory_set: !!memory, rounds: [] };
      result.datasets[name] = d;
      for (let r = 0; r < REPEATS; r++) {
        const round = { quiet: await waitForQuiet(), loadavg_before: load() };
        d.rounds.push(round);
        const runFerry = async () => {
          step(`in-page: ${name} #${r + 1}: ferry train (default, cold cache)`);
          const cpuSince = cpuWindow();
          round.ferry = await ferryDefault(data, `in-page-${i + 1}-${r + 1}`);
          round.ferry.cpu = cpuSince(null);
          delete round.ferry.backbone_onnx;
          step(`in-page: ${name} #${r + 1}: ferry ${JSON.stringify(round.ferry)}`);
        };
        const runPage = async () => {
          step(`in-page: ${name} #${r + 1}: the page, cold (fresh Chromium profile), ${photos} photos`);
          try {
            round.page = await pageRun(site.url, data, photos);
          } catch (error) {
            round.page = { error: error.message };
          }
          const { memory: m, ...rest } = round.page;
          step(
            `in-page: ${name} #${r + 1}: page ${JSON.stringify({ ...rest, memory: m && { ...m, timeline: undefined } })}`,
          );
        };
        round.order = (i + r) % 2 === 0 ? 'ferry first' : 'page first';
        for (const run of (i + r) % 2 === 0 ? [runFerry, runPage] : [runPage, runFerry]) await run();
        round.loadavg_after = load();
        writeJson('in-page', { ...result, partial: true });
      }
    }
  } finally {
    await site.close();
    rmSync(siteRoot, { recursive: true, force: true });
  }
  result.loadavg_after = load();
  writeJson('in-page', result);
}

// ---------------------------------------------------------------------------------------------

const ok = (xs) => xs.filter((x) => x && !x.error);
const fastest = (xs, key) => ok(xs).sort((a, b) => a[key] - b[key])[0];

export function inPageSection(p) {
  if (!p) return '_Not run yet (`node bench/run.js --only in-page`)._';
  if (p.error) return `Not measured: ${p.error}.`;
  const lines = [
    ...(p.partial
      ? ['**Incomplete: the bench stopped during this part; the runs below are those that finished.**', '']
      : []),
    `Measured ${p.date}. ${loadNote(p)}`,
    '',
    `${p.chromium}, headless (\`--headless --no-sandbox --disable-gpu\`, the flags of the page's tests), a fresh profile for every page run (no cached backbone or features); the built page (a copy taken at the start of the part of the build of ${p.site?.built}${p.site?.given ? ` in a separate worktree given by ${p.site.given}` : ''}, at commit ${p.site?.commit}${p.site?.uncommitted?.length ? ` with uncommitted changes to ${p.site.uncommitted.join(', ')}` : ''}${p.site?.sources_newer ? `; **${p.site.sources_newer} source files newer than the build**` : ''}) served by \`serveStaticSite\` with MobileNetV2 0.35 under \`/backbones/\`. \`ferry train\`: the default, cold (a fresh FERRY_CACHE_DIR), whole process, as the peers part runs it. ${p.repeats ?? 1} round(s) per dataset, the order of the two sides alternating; before each round the bench waited for a 1-minute load average under ${QUIET_LOAD} (at most ${QUIET_MAX_S / 60} min).`,
    '',
  ];
  const rows = [];
  const targets = [];
  const memRows = [];
  const notes = [];
  for (const [name, d] of Object.entries(p.datasets ?? {})) {
    const rounds = d.rounds ?? [];
    rounds.forEach((round, r) => {
      const f = round.ferry ?? {};
      const g = round.page ?? {};
      const quiet = round.quiet?.skipped
        ? 'not waited (--quick)'
        : round.quiet
          ? `${round.quiet.quiet ? 'quiet' : '**not quiet**'} after ${round.quiet.waited_s} s`
          : '–';
      const same =
        f.val_accuracy != null && g.model_val_accuracy != null
          ? Math.abs(f.val_accuracy - g.model_val_accuracy) < 1e-9
            ? 'same'
            : '**differ**'
          : '–';
      rows.push([
        `${name} #${r + 1}`,
        String(d.photos),
        round.order ?? '–',
        f.error ? `error: ${f.error}` : `${fmt(f.wall_s, 1)} s (features ${fmt(f.split_s?.features, 1)} s)`,
        g.error ? `error: ${g.error.slice(0, 200)}` : `${fmt(g.total_s, 1)} s`,
        g.error
          ? '–'
          : `${fmt(g.photos_to_model_s, 1)} s (features ${fmt(g.split_s.features, 1)} s, ${fmt((1000 * g.split_s.features) / d.photos, 0)} ms/photo; training ${fmt(g.split_s.training, 1)} s)`,
        g.error ? '–' : `page ${fmt(g.split_s.page_load, 1)} + backbone ${fmt(g.split_s.backbone, 1)} s`,
        `${pct(g.model_val_accuracy ?? g.val_accuracy)} vs ${pct(f.val_accuracy)}: ${same}`,
        [f.cpu, g.cpu]
          .map((c) => (c ? `${fmt(c.own_cpu_s, 1)} / ${fmt(c.others_cpu_s, 1)}` : '–'))
          .join('; '),
        `${(round.loadavg_before ?? []).join(' / ')} → ${(round.loadavg_after ?? []).join(' / ')} (${quiet})`,
      ]);
      if (g.errors?.length) notes.push(`${name} #${r + 1}: page errors: ${g.errors.slice(0, 5).join(' | ')}`);
      if (g.env && (g.env.unreadable || g.env.skipped))
        notes.push(
          `${name} #${r + 1}: the page listed ${g.env.unreadable} unreadable and ${g.env.skipped} skipped file(s).`,
        );
      const cached = /\((\d+) already computed in this browser/.exec(g.env?.featuresText ?? '')?.[1];
      if (Number(cached) > 0 && r === 0)
        notes.push(
          `${name}: the page reported ${cached} photo(s) "already computed in this browser" in a fresh profile: photos whose bytes equal another photo's of the set (same hash), computed once.`,
        );
    });
    const ferries = rounds.map((x) => x.ferry);
    const pages = rounds.map((x) => x.page);
    const f = fastest(ferries, 'wall_s');
    const gTotal = fastest(pages, 'total_s');
    const gIn = fastest(pages, 'photos_to_model_s');
    if (f && gTotal && gIn) {
      const a = gTotal.total_s / f.wall_s;
      const b = gIn.photos_to_model_s / f.wall_s;
      targets.push([
        name,
        `${fmt(gTotal.total_s, 1)} / ${fmt(f.wall_s, 1)} = ${fmt(a, 2)}x`,
        a <= 3 ? 'met' : 'NOT met',
        `${fmt(gIn.photos_to_model_s, 1)} / ${fmt(f.wall_s, 1)} = ${fmt(b, 2)}x`,
        b <= 3 ? 'met' : 'NOT met',
      ]);
    }
    const withMemory = ok(pages).filter((g) => g.memory?.page_renderer);
    if (withMemory.length) {
      // The worst run: memory is a ceiling, so the highest peak of the rounds is the one reported.
      const g = withMemory.sort(
        (x, y) => y.memory.page_renderer.peak_rss_mib - x.memory.page_renderer.peak_rss_mib,
      )[0];
      const m = g.memory;
      const r = m.page_renderer;
      const allPss = Math.max(...withMemory.map((x) => x.memory.all.peak_pss_sum_mib));
      memRows.push([
        name,
        String(d.photos),
        `${fmt(r.peak_rss_mib, 0)} MiB (own ${fmt(r.peak_private_mib, 0)}, PSS ${fmt(r.peak_pss_mib, 0)} MiB)${withMemory.length > 1 ? `; each round ${withMemory.map((x) => fmt(x.memory.page_renderer.peak_rss_mib, 0)).join(' / ')} MiB` : ''}`,
        `${fmt(m.phases.load?.renderer_rss_mib, 0)} / ${fmt(m.phases.features?.renderer_rss_mib, 0)} / ${fmt(m.phases.train?.renderer_rss_mib, 0)} MiB`,
        `${fmt(allPss, 0)} MiB (RSS sum ${fmt(Math.max(...withMemory.map((x) => x.memory.all.peak_rss_sum_mib)), 0)} MiB, ${m.all.processes_seen} processes)`,
        d.memory_set
          ? `${r.peak_rss_mib <= MEMORY_TARGET_MIB ? 'met' : 'NOT met'} (renderer RSS); ${r.peak_private_mib <= MEMORY_TARGET_MIB ? 'met' : 'NOT met'} (renderer own memory); ${r.peak_pss_mib <= MEMORY_TARGET_MIB ? 'met' : 'NOT met'} (renderer PSS); ${allPss <= MEMORY_TARGET_MIB ? 'met' : 'NOT met'} (all Chromium, PSS)`
          : '–',
      ]);
      if (m.renderers_seen > 1 && m.max_renderer_rss_mib > r.peak_rss_mib)
        notes.push(
          `${name}: ${m.renderers_seen} renderer processes; the largest peaked at ${fmt(m.max_renderer_rss_mib, 0)} MiB.`,
        );
    }
  }
  lines.push(
    table(
      [
        'data, round',
        'photos',
        'order',
        '`ferry train` (whole process)',
        'page: goto → model ready',
        'page: photos in → model ready',
        'page: before the photos',
        'val accuracy page vs `ferry train`',
        "CPU-s, own / other processes' (ferry; page)",
        'load average before → after',
      ],
      rows,
    ),
    '',
  );
  if (targets.length)
    lines.push(
      'Target (issue: in-page training): the page at most 3x the wall time of `ferry train` measured in the same run (reported, not asserted), the fastest run of each side (the one least disturbed by the machine\'s other users). (a) counts from `page.goto` (the page, its backbone fetched and converted, then the photos); (b) from choosing the folder (`setInputFiles`) to `data-train="done"`, Train clicked as soon as the features are ready:',
      '',
      table(
        ['data', '(a) page total / ferry', '(a) <= 3x', '(b) photos in → model / ferry', '(b) <= 3x'],
        targets,
      ),
      '',
    );
  if (memRows.length)
    lines.push(
      `Memory, sampled from /proc during each page run (RSS every ${SAMPLE_MS} ms, PSS every ${SAMPLE_MS * PSS_EVERY} ms, from \`page.goto\` to the model), the highest of the rounds: the renderer hosting the page (the one with the most CPU time; its Web Worker runs in the same process): its RSS, its own memory (RSS less file-backed pages: less the Chromium binary, libraries and fonts every renderer maps; close to what Chrome's task manager shows as the tab's memory footprint) and its PSS; and the sum over every process of the launched Chromium (PSS, so shared pages count once). Target: page memory <= 400 MB (${fmt(MEMORY_TARGET_MIB, 0)} MiB) at ${MEMORY_PHOTOS.toLocaleString('en')} photos (reported, not asserted):`,
      '',
      table(
        [
          'data',
          'photos',
          'page renderer peak RSS',
          'renderer peak: backbone load / features / training',
          'all Chromium processes peak PSS',
          `<= 400 MB at ${MEMORY_PHOTOS.toLocaleString('en')}`,
        ],
        memRows,
      ),
      '',
    );
  lines.push(
    `CPU-s: the run's own CPU time (\`ferry train\`'s process; every Chromium process from \`page.goto\` to the model) and what other processes used meanwhile (the machine's busy time from /proc/stat minus the run's and the bench's): with ${p.cores} cores, other processes' CPU-s near the wall time mean one core was taken from the run.`,
    '',
  );
  const env = Object.values(p.datasets ?? {})
    .flatMap((d) => (d.rounds ?? []).map((x) => x.page))
    .find((g) => g?.env)?.env;
  if (env)
    lines.push(
      `In the page: \`crossOriginIsolated\` ${env.crossOriginIsolated}, \`navigator.hardwareConcurrency\` ${env.hardwareConcurrency}: ${env.crossOriginIsolated ? 'onnxruntime-web may run the backbone on several wasm threads' : 'onnxruntime-web runs the backbone on one wasm thread (threads need a cross-origin-isolated page)'}; \`ferry train\` runs it on onnxruntime-node. Val accuracy of the page is its downloaded model.onnx's own figure (spec \`training.valAccuracy\`), which #summary shows rounded.`,
      '',
    );
  if (notes.length) lines.push(...notes.map((n) => `- ${n}`), '');
  return lines.join('\n').trimEnd();
}
