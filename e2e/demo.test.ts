/**
 * `npm run demo` end to end, as a user runs it: the built CLI in a child process. With the real
 * ants/bees photos and MobileNetV2 weights (FERRY_DATA_DIR / FERRY_MODELS_DIR) it trains with
 * the defaults and must reach 0.9 val accuracy with model.onnx and report.html written; the
 * serving run must answer a real photo over HTTP, serve the page with the run's model, and stop
 * cleanly on Ctrl-C (SIGINT). The cheap part (help, bad arguments) needs no data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelSpecFromOnnx } from '@ferry/core';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import { runNode } from '@ferry/fixtures/run-node';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The `ferry-demo` command of the installed @ferry/demo (what `npm run demo` runs).
const CLI = join(
  dirname(fileURLToPath(import.meta.resolve('@ferry/demo/package.json'))),
  'bin/ferry-demo.js',
);
const work = mkdtempSync(join(tmpdir(), 'ferry-demo-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runNode(CLI, args, { env, cwd: ROOT }).done();
}

function valAccuracy(stdout: string): number {
  const m = /val accuracy (\d\.\d+)/.exec(stdout);
  if (!m) throw new Error(`no "val accuracy" line in:\n${stdout}`);
  return Number(m[1]);
}

async function freePort(): Promise<number> {
  // Two consecutive free ports: the API takes N, the page N+1.
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(
      [port, port + 1].map(
        (p) =>
          new Promise<boolean>((r) => {
            const s = createServer();
            s.once('error', () => r(false));
            s.listen(p, '127.0.0.1', () => s.close(() => r(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no two consecutive free ports');
}

describe('ferry demo: arguments', () => {
  it('prints its help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: ferry demo');
    expect(r.stdout).toContain('--no-serve');
  });

  it('rejects a --data folder that does not exist, before any training', async () => {
    const out = join(work, 'bad-data');
    const r = await runCli(['--no-serve', '--data', join(work, 'nope'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--data .*nope does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // one clear line, no stack trace
    expect(existsSync(out)).toBe(false);
  });

  it('rejects a --data that is a file and a bad --port', async () => {
    const file = await runCli(['--no-serve', '--data', CLI, '--out', join(work, 'x')]);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(/is not a folder/);
    const port = await runCli(['--port', '99999']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port expects an integer/);
  });

  it('names the download URL and FERRY_DATA_DIR when the dataset cannot be had offline', async () => {
    const r = await runCli(['--no-serve', '--out', join(work, 'offline')], {
      FERRY_DATA_DIR: '',
      FERRY_CACHE_DIR: join(work, 'empty-cache'),
      FERRY_OFFLINE: '1',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('https://download.pytorch.org/tutorial/hymenoptera_data.zip');
    expect(r.stderr).toContain('FERRY_DATA_DIR');
  });
});

const haveData =
  haveRealData('hymenopteraDir', 'demo.test.ts: ferry demo on ants/bees') &&
  haveRealData('modelsDir', 'demo.test.ts: ferry demo on ants/bees');

describe.runIf(haveData)('ferry demo on the real ants/bees photos', () => {
  it('--no-serve trains to >= 0.9 val accuracy and writes model.onnx and report.html', async () => {
    const out = join(work, 'no-serve');
    const r = await runCli(['--no-serve', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(valAccuracy(r.stdout)).toBeGreaterThanOrEqual(0.9);
    expect(r.stdout).toContain(join(out, 'report.html'));
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    const spec = readModelSpecFromOnnx(new Uint8Array(readFileSync(join(out, 'model.onnx'))));
    expect(spec.labels).toEqual(['ants', 'bees']);
    // Trained in a temp folder beside --out, renamed at the end: nothing else is left there.
    expect(readdirSync(work).filter((f) => f.includes('no-serve'))).toEqual(['no-serve']);
  });

  it('serves the edge API and the web demo until SIGINT', async () => {
    const out = join(work, 'serve');
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [CLI, '--out', out, '--port', String(port)], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let api: string | undefined;
    try {
      await new Promise<void>((ready, fail) => {
        child.stdout!.on('data', (d) => {
          stdout += d;
          if (/Ctrl-C to stop/.test(stdout)) ready();
        });
        void exited.then((code) => fail(new Error(`demo exited with ${code}:\n${stdout}\n${stderr}`)));
      });
      api = /edge API \(node\): (\S+)/.exec(stdout)?.[1];
      const page = /web demo:\s+(\S+)/.exec(stdout)?.[1];
      expect(api).toBe(`http://127.0.0.1:${port}`);
      expect(page).toBe(`http://127.0.0.1:${port + 1}/?api=${encodeURIComponent(api!)}`);

      const photoDir = join(realData().hymenopteraDir!, 'val/bees');
      const photo = readdirSync(photoDir).filter((f) => f.endsWith('.jpg'))[0]!;
      const form = new FormData();
      form.append('image', new Blob([readFileSync(join(photoDir, photo))], { type: 'image/jpeg' }), photo);
      const res = await fetch(`${api}/v1/classify`, { method: 'POST', body: form });
      const body = (await res.json()) as { predictions?: { label: string; probability: number }[] };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.predictions?.map((p) => p.label).sort()).toEqual(['ants', 'bees']);

      const html = await fetch(page!);
      expect(html.status).toBe(200);
      expect(await html.text()).toContain('<script');
      // The page's model.onnx is this run's file, not whatever the site was built with.
      const served = new Uint8Array(await (await fetch(new URL('model.onnx', page!))).arrayBuffer());
      expect(Buffer.compare(served, readFileSync(join(out, 'model.onnx')))).toBe(0);
      expect((await fetch(new URL('../../etc/passwd', page!))).status).not.toBe(200);
      // The train view, and the backbone the demo trained with beside it (offline training).
      const trainView = /train in the page:\s+(\S+)/.exec(stdout)?.[1];
      expect(trainView).toBe(`http://127.0.0.1:${port + 1}/train/`);
      expect(await (await fetch(trainView!)).text()).toContain('webkitdirectory');
      const backbone = join(realData().modelsDir!, 'mobilenet_v2_0.35_224');
      const modelJson = await fetch(new URL('../backbones/mobilenet_v2_0.35_224/model.json', trainView!));
      expect(modelJson.status).toBe(200);
      const manifest = (await modelJson.json()) as { weightsManifest: { paths: string[] }[] };
      for (const path of manifest.weightsManifest.flatMap((g) => g.paths)) {
        const weights = new Uint8Array(
          await (
            await fetch(new URL(`../backbones/mobilenet_v2_0.35_224/${path}`, trainView!))
          ).arrayBuffer(),
        );
        expect(Buffer.compare(weights, readFileSync(join(backbone, path))), path).toBe(0);
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    // Both servers are gone after Ctrl-C.
    await expect(fetch(`${api}/healthz`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${port + 1}/`)).rejects.toThrow();
  });
});
