/**
 * `wrangler deploy --dry-run --outdir` for any model file: builds exactly what `wrangler deploy`
 * would upload, offline, and measures it (raw and gzip, as Cloudflare's size limit counts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createWorkerEntry } from '../workerd/start-workerd.js';

const require = createRequire(import.meta.url);

export interface WorkerBundle {
  outDir: string;
  files: { name: string; bytes: number; gzipBytes: number }[];
  totalBytes: number;
  gzipBytes: number;
  /** wrangler's own "Total Upload: … / gzip: …" line. */
  wranglerSummary: string;
}

export async function buildWorkerBundle(
  modelPath: string,
  delivery: 'bundle' | 'assets',
): Promise<WorkerBundle> {
  const wrangler = join(require.resolve('wrangler/package.json'), '../bin/wrangler.js');
  const outDir = mkdtempSync(join(tmpdir(), `ferry-worker-${delivery}-`));
  const entry = createWorkerEntry(modelPath, delivery);
  let stdout: string;
  try {
    const args = ['deploy', entry.entrypoint, '-c', entry.config, '--dry-run', '--outdir', outDir];
    if (delivery === 'assets') args.push('--assets', entry.dir);
    ({ stdout } = await promisify(execFile)(process.execPath, [wrangler, ...args], {
      // Offline: no telemetry, no login, no update check.
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
      maxBuffer: 16 * 2 ** 20,
    }));
  } finally {
    entry.cleanup();
  }
  const files = readdirSync(outDir)
    // Source maps and wrangler's README stay local; they are not uploaded.
    .filter((name) => !name.endsWith('.map') && name !== 'README.md')
    .map((name) => {
      const bytes = readFileSync(join(outDir, name));
      return { name, bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
    });
  return {
    outDir,
    files,
    totalBytes: files.reduce((s, f) => s + f.bytes, 0),
    gzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
    wranglerSummary: stdout.match(/Total Upload:.*/)?.[0] ?? '',
  };
}
