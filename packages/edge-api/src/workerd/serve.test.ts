/**
 * The workerd CLI (`node dist/workerd/serve.js --model FILE`, `npm run start:workerd`): serves
 * any model file from the real Workers build in workerd, offline, and fails clearly on misuse.
 */
import { join } from 'node:path';
import { photo } from '@ferry/trainer/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';
import { makeTinyModel, TINY_LABELS } from '../test-support/tiny-model.js';
import { PACKAGE_DIR } from './start-workerd.js';

const SERVE_JS = join(PACKAGE_DIR, 'dist/workerd/serve.js');

describe('workerd serve CLI', () => {
  let modelPath: string;
  beforeAll(async () => {
    modelPath = await makeTinyModel();
  });

  it('serves --model from workerd on --port, classifies, stops on SIGTERM', async () => {
    const cli = runCli(SERVE_JS, ['--model', modelPath, '--port', '0'], /\{"event":"listening".*\n/);
    const listening = JSON.parse(await cli.matched) as { url: string; runtime: string; model: string };
    expect(listening).toMatchObject({ runtime: 'workerd', model: modelPath });
    const health = (await (await fetch(`${listening.url}/healthz`)).json()) as { runtime: string };
    expect(health.runtime).toBe('workerd');
    const res = await fetch(`${listening.url}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photo(64, 48).jpeg().toBuffer()),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { label: string }[] };
    expect(body.predictions.map((p) => p.label).sort()).toEqual([...TINY_LABELS].sort());
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('exits 2 with a clear message without a model, with a missing one or a bad port', async () => {
    const none = runCli(SERVE_JS, []);
    expect(await none.exited).toBe(2);
    expect(none.output().stderr).toMatch(/--model is required/);
    const missing = runCli(SERVE_JS, ['--model', join(PACKAGE_DIR, 'nope.onnx')]);
    expect(await missing.exited).toBe(2);
    expect(missing.output().stderr).toMatch(/model file not found: .*nope\.onnx/);
    const badPort = runCli(SERVE_JS, ['--model', modelPath, '--port', '99999']);
    expect(await badPort.exited).toBe(2);
    expect(badPort.output().stderr).toMatch(/port must be an integer/);
  });
});
