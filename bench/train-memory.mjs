#!/usr/bin/env node
/**
 * Peak RSS of the default `ferry train` (features mode) on ants/bees (398 images) and on a
 * generated 10,000-image folder: the issue asks for < 1.5 GB and "flat in dataset size". Each run
 * is a child `ferry train --json` with a fresh FERRY_CACHE_DIR (so the backbone really runs);
 * the RSS of its process tree is sampled from /proc every 200 ms. Writes
 * bench/out/train-memory.json and prints the same JSON as the last stdout line.
 *
 * Usage (packages built; FERRY_DATA_DIR and FERRY_MODELS_DIR set to the shared mirrors):
 *   node bench/train-memory.mjs [--images 10000] [--epochs N] [--size 320x240] [--quick]
 *     --images N   size of the generated set (default 10000), generated once in
 *                  /tmp/ferry-bench-images-N (two classes of synthetic JPEGs, made with sharp)
 *     --epochs N   epochs for both runs (default: ferry's default, 40)
 *     --quick      smoke run: 200 generated images, 1 epoch
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const CLI = join(ROOT, 'packages', 'trainer', 'dist', 'cli.js');
const require = createRequire(join(ROOT, 'packages', 'trainer', 'package.json'));
const sharp = require('sharp');

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '10000' },
    epochs: { type: 'string' },
    size: { type: 'string', default: '320x240' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const bigCount = quick ? 200 : Number(args.images);
const epochs = quick ? '1' : args.epochs;
const [width, height] = args.size.split('x').map(Number);
const dataDir = process.env.FERRY_DATA_DIR;
if (!process.env.FERRY_MODELS_DIR || !dataDir) {
  console.error(
    'set FERRY_DATA_DIR and FERRY_MODELS_DIR to the shared mirrors (see @ferry/fixtures/real-data)',
  );
  process.exit(2);
}
if (!existsSync(CLI)) {
  console.error(`${CLI} is missing: build the trainer first (npx tsc -p tsconfig.build.json)`);
  process.exit(2);
}

/** A photo-sized JPEG whose class shows in colour and stripe direction, with per-image noise. */
async function syntheticJpeg(label, seed) {
  const data = Buffer.alloc(width * height * 3);
  let s = seed * 2654435761;
  const rnd = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const period = 6 + Math.floor(rnd() * 12);
  const base = label === 0 ? [190, 110, 50] : [60, 100, 190];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stripe = Math.floor((label === 0 ? y : x) / period) % 2;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++)
        data[i + c] = Math.max(0, Math.min(255, base[c] * (stripe ? 1 : 0.6) + (rnd() - 0.5) * 60));
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** DIR/{a,b}/NNNNN.jpg, generated once (a marker file says it is complete). */
async function generatedSet(count) {
  const dir = join(tmpdir(), `ferry-bench-images-${count}-${width}x${height}`);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  rmSync(dir, { recursive: true, force: true });
  const labels = ['a', 'b'];
  for (const l of labels) await mkdir(join(dir, l), { recursive: true });
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const label = i % 2;
      await writeFile(
        join(dir, labels[label], `${String(i).padStart(5, '0')}.jpg`),
        await syntheticJpeg(label, i + 1),
      );
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  writeFileSync(marker, '');
  console.error(
    `generated ${count} JPEGs (${width}x${height}) in ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return dir;
}

function countImages(dir) {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) n += countImages(join(dir, entry.name));
    else if (/\.(jpe?g|png|webp|gif|tiff?|avif)$/i.test(entry.name)) n++;
  }
  return n;
}

/** RSS in bytes of a process and all its descendants, from /proc. */
function treeRss(pid) {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      total += kb * 1024;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended between samples.
    }
  }
  return total;
}

async function measure(name, data) {
  const scratch = join(tmpdir(), `ferry-train-memory-${process.pid}-${name}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const extra = epochs ? ['--epochs', epochs] : [];
  const argv = [CLI, 'train', '--data', data, '--out', join(scratch, 'run'), '--json', ...extra];
  const loadBefore = loadavg();
  const started = Date.now();
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, FERRY_CACHE_DIR: join(scratch, 'cache') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(child.pid));
  }, 200);
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(timer);
  const wallS = (Date.now() - started) / 1000;
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const result = lines.find((l) => l.type === 'result');
  const start = lines.find((l) => l.type === 'start');
  rmSync(scratch, { recursive: true, force: true });
  if (code !== 0 || !result) throw new Error(`${name}: ferry train exited with ${code}`);
  const run = {
    name,
    images: countImages(data),
    trainImages: start?.trainCount,
    valImages: start?.valCount,
    args: argv.slice(2).filter((a) => !a.startsWith(scratch)),
    wallS: Math.round(wallS * 10) / 10,
    peakRssMB: Math.round(peak / 2 ** 20),
    valAccuracy: result.valAccuracy,
    loadavgBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
    loadavgAfter: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  console.error(JSON.stringify(run));
  return run;
}

const antsBees = join(dataDir, 'hymenoptera_data');
const big = await generatedSet(bigCount);
const runs = [await measure('ants-bees', antsBees), await measure(`generated-${bigCount}`, big)];
const report = {
  date: new Date().toISOString(),
  cpus: cpus().length,
  quick,
  note: 'peakRssMB: RSS of the ferry train process tree sampled every 200 ms; fresh feature cache per run',
  runs,
};
const outDir = join(HERE, 'out', ...(quick ? ['quick'] : []));
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'train-memory.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report));
