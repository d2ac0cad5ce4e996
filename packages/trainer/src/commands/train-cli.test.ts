/**
 * `ferry train` as users script it: misuse is a clear CliError (exit 2) naming the option,
 * expected failures (bad data) exit 1 with one line, `--json` prints JSON lines ending in a
 * result, and progress is a rewritten bar on a TTY but plain lines in logs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliError } from '../cli-support.js';
import { makeImageFolder, makeTinyBackbone } from '../test-support/synthetic.js';
import { createReporter } from './progress.js';
import { parseTrainArgs, run } from './train.js';

let root: string;
const savedCache = process.env.FERRY_CACHE_DIR;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-train-cli-'));
  process.env.FERRY_CACHE_DIR = join(root, 'cache');
  await makeImageFolder(join(root, 'data'), ['cats', 'dogs'], 5);
  await makeImageFolder(join(root, 'one'), ['cats'], 3);
  await makeTinyBackbone(join(root, 'backbone'));
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env.FERRY_CACHE_DIR;
  else process.env.FERRY_CACHE_DIR = savedCache;
  await rm(root, { recursive: true, force: true });
});

function misuse(argv: string[]): CliError {
  try {
    parseTrainArgs(argv);
  } catch (error) {
    return error as CliError;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('ferry train command line', () => {
  it('rejects misuse with exit code 2 and a message naming the problem', () => {
    expect(misuse(['--data', 'd'])).toMatchObject({ exitCode: 2, message: expect.stringMatching(/--out/) });
    expect(misuse(['--out', 'o']).message).toMatch(/--data DIR or --csv FILE/);
    expect(misuse(['--data', 'd', '--csv', 'c', '--out', 'o']).message).toMatch(/either --data or --csv/);
    expect(misuse(['--data', 'd', '--out', 'o', '--epochs', 'many']).message).toMatch(
      /--epochs expects a number/,
    );
    expect(misuse(['--data', 'd', '--out', 'o', '--backend', 'tpu']).message).toMatch(/--backend must be/);
    // Every backend selectBackend knows is accepted (webgpu was once missing from the CLI's list).
    for (const backend of ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu']) {
      expect(parseTrainArgs(['--data', 'd', '--out', 'o', '--backend', backend]).options.backend).toBe(
        backend,
      );
    }
    expect(misuse(['--data', 'd', '--out', 'o', '--frobnicate']).message).toMatch(/frobnicate/);
    const { options, json } = parseTrainArgs(['--data', 'd', '--out', 'o', '--json', '--aug-views', '3']);
    expect(json).toBe(true);
    expect(options).toMatchObject({ data: 'd', out: 'o', augViews: 3, exportOnnx: true });
    expect('epochs' in options).toBe(false);
    // finetune's warm start is on unless --no-warm-start says otherwise.
    expect('warmStart' in options).toBe(false);
    expect(
      parseTrainArgs(['--data', 'd', '--out', 'o', '--mode', 'finetune', '--no-warm-start']).options,
    ).toMatchObject({ mode: 'finetune', warmStart: false });
  });

  it('bad values and bad data exit 1 with one line', async () => {
    const base = [
      '--out',
      join(root, 'bad'),
      '--backbone',
      join(root, 'backbone'),
      '--feature-layer',
      'out_relu',
    ];
    await expect(run([...base, '--data', join(root, 'data'), '--mode', 'turbo'])).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/--mode must be features, freeze or finetune/),
    });
    await expect(run([...base, '--data', join(root, 'one')])).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/only one class/),
    });
    await expect(run([...base, '--data', join(root, 'nowhere')])).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/does not exist/),
    });
  });

  it('--json prints one JSON object per line, ending with the result', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await run([
        '--data',
        join(root, 'data'),
        '--out',
        join(root, 'json-run'),
        '--backbone',
        join(root, 'backbone'),
        '--feature-layer',
        'out_relu',
        '--epochs',
        '3',
        '--no-export',
        '--json',
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const events = lines
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0].type).toBe('start');
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'epoch')[0]).toMatchObject({
      epoch: 1,
      epochs: 3,
      trainLoss: expect.any(Number),
      valAccuracy: expect.any(Number),
      imagesPerSecond: expect.any(Number),
      etaSeconds: expect.any(Number),
    });
    const result = events.at(-1);
    expect(result).toMatchObject({ type: 'result', runDir: join(root, 'json-run'), onnx: null });
    expect(result.featureCache.backboneImages).toBeGreaterThan(0);
  });

  /** A stream that records what the reporter writes. */
  const fakeStream = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream };
  };
  const epochEvent = {
    type: 'epoch',
    epoch: 1,
    epochs: 2,
    trainLoss: 0.5,
    trainAccuracy: 0.75,
    valLoss: 0.4,
    valAccuracy: 0.8,
    lr: 0.001,
    imagesPerSecond: 100,
    seconds: 0.8,
    etaSeconds: 3,
    best: true,
  } as const;

  it('draws a rewritten bar on a TTY and plain lines otherwise', () => {
    const events = [
      { type: 'features', done: 5, total: 10, cached: 0 },
      { type: 'batch', epoch: 1, epochs: 2, batch: 1, batches: 3, loss: 0.5 },
      epochEvent,
    ] as const;
    const tty = fakeStream(true);
    const ttyReporter = createReporter(false, tty.stream);
    for (const e of events) ttyReporter.event(e);
    expect(tty.out.some((s) => s.startsWith('\r\x1b[2Kfeatures ['))).toBe(true);
    expect(tty.out.some((s) => s.startsWith('\r\x1b[2Kepoch 1/2 batch 1/3 loss 0.5000'))).toBe(true);
    expect(tty.out.at(-1)).toMatch(
      /^epoch +1\/2 +train loss 0\.5000 acc 0\.7500 +val loss 0\.4000 acc 0\.8000 \*.*100 img\/s +ETA 3s\n$/,
    );

    // A sub-millisecond epoch (the head on cached features) prints no rate: it would mean nothing.
    const quick = fakeStream(false);
    createReporter(false, quick.stream).event({
      ...epochEvent,
      seconds: 0.001,
      imagesPerSecond: 245_000_000,
    });
    expect(quick.out.join('')).not.toContain('img/s');

    const log = fakeStream(false);
    const logReporter = createReporter(false, log.stream);
    for (const e of events) logReporter.event(e);
    expect(log.out).toHaveLength(1);
    expect(log.out.join('')).not.toContain('\r');
  });

  it('names the two phases of a warm-started finetune run', () => {
    const { out, stream } = fakeStream(true);
    const reporter = createReporter(false, stream);
    reporter.event({ type: 'phase', phase: 'warm-start', index: 1, phases: 2, epochs: 40 });
    reporter.event({ ...epochEvent, epochs: 40, phase: 'warm-start' });
    reporter.event({ type: 'phase', phase: 'finetune', index: 2, phases: 2, epochs: 5 });
    reporter.event({
      type: 'batch',
      epoch: 1,
      epochs: 5,
      batch: 1,
      batches: 3,
      loss: 0.5,
      phase: 'finetune',
    });
    reporter.event({ ...epochEvent, epochs: 5, phase: 'finetune' });
    const lines = out.filter((s) => s.endsWith('\n'));
    expect(lines[0]).toMatch(/^phase 1\/2 warm start: .*features mode, 40 epochs/);
    expect(lines[1]).toMatch(/^\[warm start\] epoch +1\/40 /);
    expect(lines[2]).toMatch(/^phase 2\/2 finetune: every layer .*5 epochs/);
    expect(out.some((s) => s.startsWith('\r\x1b[2K[finetune] epoch 1/5 batch 1/3'))).toBe(true);
    expect(lines[3]).toMatch(/^\[finetune\] epoch +1\/5 /);
  });
});
