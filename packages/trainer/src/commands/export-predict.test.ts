/**
 * `ferry export` and `ferry predict` as a user runs them: the built CLI in a child process on a
 * tiny run whose validation images the test writes, checking output, files and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTinyRun } from '../test-support/index.js';
import { syntheticJpeg } from '../test-support/synthetic.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'ferry-cli-export-'));
const runDir = join(root, 'run');
const dataDir = join(root, 'data');
const labels = ['red', 'blue'];

function ferry(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the trainer first (npm run build)`);
  await createTinyRun(runDir, { labels, seed: 8 });
  // A validation set and the predictions.csv `ferry train` would have written for it.
  const rows = ['path,label,predicted,probability'];
  for (const [li, label] of labels.entries()) {
    await mkdir(join(dataDir, 'val', label), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const rel = `val/${label}/${i}.jpg`;
      await writeFile(join(dataDir, rel), await syntheticJpeg(li, 10 * li + i, 64, 48));
      rows.push(`${rel},${label},${labels[i % 2]},0.5`);
    }
  }
  await writeFile(join(runDir, 'predictions.csv'), `${rows.join('\n')}\n`);
  const spec = JSON.parse(await readFile(join(runDir, 'spec.json'), 'utf8'));
  spec.training.dataset = dataDir;
  await writeFile(join(runDir, 'spec.json'), JSON.stringify(spec));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ferry export', () => {
  it('--help', () => {
    const r = ferry('export', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--precision fp32\|fp16\|int8/);
    expect(r.stdout).toMatch(/--format onnx\|hf/);
  });

  it('writes RUN/model.onnx and checks it on the validation images', () => {
    const r = ferry('export', '--run', runDir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(runDir, 'model.onnx')}`);
    expect(r.stdout).toMatch(/labels: red, blue/);
    // 3 of the 6 rows say the trainer was right; the export's own accuracy is measured.
    expect(r.stdout).toMatch(
      /validation \(6 images, onnxruntime-node\): accuracy [\d.]+ vs 0\.5000 in training/,
    );
    expect(existsSync(join(runDir, 'model.onnx'))).toBe(true);
  });

  it('--precision int8 --json reports size against the fp32 file and the validation result', () => {
    const r = ferry('export', '--run', runDir, '--precision', 'int8', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.path).toBe(join(runDir, 'model.int8.onnx'));
    expect(result.precision).toBe('int8');
    expect(result.bytes).toBeLessThan(result.fp32Bytes);
    expect(result.evaluation.count).toBe(6);
    expect(result.evaluation.trainerAccuracy).toBe(0.5);
  });

  it('--format hf writes the transformers.js folder', () => {
    const out = join(root, 'hf-out');
    const r = ferry('export', '--run', runDir, '--format', 'hf', '--out', out, '--no-eval');
    expect(r.code).toBe(0);
    for (const f of ['config.json', 'preprocessor_config.json', 'onnx/model.onnx']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  });

  it('misuse and broken runs exit non-zero with one clear line', () => {
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /missing --run RUN_DIR/],
      [
        ['--run', runDir, '--precision', 'int4'],
        2,
        /--precision must be one of fp32, fp16, int8, got "int4"/,
      ],
      [['--run', runDir, '--format', 'tflite'], 2, /--format must be one of onnx, hf/],
      [['--run', runDir, '--opset', '7'], 2, /--opset must be an integer from 13 to 21/],
      [['--run', runDir, '--bogus'], 2, /Unknown option '--bogus'/],
      [['--run', dataDir], 1, /spec\.json does not exist; is .* a run directory written by `ferry train`/],
    ];
    for (const [args, code, message] of cases) {
      const r = ferry('export', ...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});

describe('ferry predict', () => {
  it('prints top-k per image, expands directories, reports unreadable files and exits 1', () => {
    const bad = join(root, 'not-a-photo.jpg');
    writeFileSync(bad, 'plain text, not an image');
    const r = ferry(
      'predict',
      '--model',
      join(runDir, 'model.onnx'),
      join(dataDir, 'val', 'red'),
      bad,
      '--top-k',
      '1',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: not an image`);
    const blocks = r.stdout.trim().split(/\n(?=\S)/);
    expect(blocks).toHaveLength(3);
    for (const block of blocks) expect(block).toMatch(/^\S+\.jpg\n {2}(red|blue) +[01]\.\d{4} /);
  });

  it('--json gives one object per image with probabilities summing to 1 over all labels', () => {
    const photo = join(dataDir, 'val', 'blue', '0.jpg');
    const r = ferry('predict', '--model', join(runDir, 'model.onnx'), photo, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].path).toBe(photo);
    expect(lines[0].predictions.map((p: { label: string }) => p.label).sort()).toEqual(['blue', 'red']);
    const total = lines[0].predictions.reduce(
      (s: number, p: { probability: number }) => s + p.probability,
      0,
    );
    expect(total).toBeCloseTo(1, 5);
  });

  it('bad model files and options are clear errors', () => {
    const notOnnx = join(root, 'model.txt');
    writeFileSync(notOnnx, 'hello');
    const photo = join(dataDir, 'val', 'blue', '0.jpg');
    const cases: Array<[string[], number, RegExp]> = [
      [[photo], 2, /missing --model/],
      [['--model', join(runDir, 'model.onnx')], 2, /no images given/],
      [['--model', join(root, 'nope.onnx'), photo], 1, /model file not found: .*nope\.onnx/],
      [['--model', notOnnx, photo], 1, /is not a Ferry ONNX model/],
      [
        ['--model', join(runDir, 'model.onnx'), photo, '--top-k', '0'],
        2,
        /--top-k must be a positive integer/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = ferry('predict', ...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('ferry predict with an open-set model', () => {
  it('marks photos above the threshold "unknown (closest: ...)" and --json carries unknown and ood_score', async () => {
    const openRun = join(root, 'open-run');
    await createTinyRun(openRun, { labels, seed: 8, openSet: 'knn-cosine' });
    // Two files from one run: every photo known (threshold +inf) and every photo unknown (-1).
    const spec = JSON.parse(await readFile(join(openRun, 'spec.json'), 'utf8'));
    const model = (threshold: number, name: string) => {
      writeFileSync(
        join(openRun, 'spec.json'),
        JSON.stringify({ ...spec, openSet: { ...spec.openSet, threshold } }),
      );
      const out = join(root, name);
      expect(ferry('export', '--run', openRun, '--out', out).code).toBe(0);
      return out;
    };
    const known = model(1e9, 'known.onnx');
    const unknown = model(-1, 'unknown.onnx');
    const photo = join(dataDir, 'val', 'red', '0.jpg');

    const text = ferry('predict', '--model', unknown, photo);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}unknown \(closest: (red|blue) \d{1,3} %\)$/m);
    expect(ferry('predict', '--model', known, photo).stdout).not.toMatch(/unknown/);

    for (const [file, expected] of [
      [known, false],
      [unknown, true],
    ] as const) {
      const line = JSON.parse(ferry('predict', '--model', file, '--json', photo).stdout.trim());
      expect(line.unknown).toBe(expected);
      expect(typeof line.ood_score).toBe('number');
      expect(line.predictions).toHaveLength(2);
    }
    // A model without the open-set answer: neither field.
    const plain = JSON.parse(
      ferry('predict', '--model', join(runDir, 'model.onnx'), '--json', photo).stdout.trim(),
    );
    expect('unknown' in plain).toBe(false);
    expect('ood_score' in plain).toBe(false);
  });
});

describe('ferry eval --ood', () => {
  it('reports AUROC, FPR at 95 % TPR and the share answered unknown for the run model, as text and JSON', async () => {
    const openRun = join(root, 'eval-open-run');
    await createTinyRun(openRun, { labels, seed: 9, openSet: 'knn-cosine' });
    expect(ferry('export', '--run', openRun).code).toBe(0);
    const oodDir = join(root, 'ood', 'nested');
    await mkdir(oodDir, { recursive: true });
    for (let i = 0; i < 3; i++)
      await writeFile(join(oodDir, `other-${i}.jpg`), await syntheticJpeg(i % 2, 50 + i, 40, 56));
    // A report.html with the open-set section a training run writes: eval replaces that section.
    writeFileSync(
      join(openRun, 'report.html'),
      '<html><body><h1>r</h1><!-- ferry:open-set --><h2>old</h2><!-- /ferry:open-set --><p>rest</p></body></html>',
    );
    const text = ferry('eval', '--run', openRun, '--data', join(dataDir, 'val'), '--ood', join(root, 'ood'));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^open set: knn-cosine, unknown when the score is above /m);
    expect(text.stdout).toMatch(/unknown photos answered "unknown" +\d+\.\d % {2}\(3 photos\)/);
    expect(text.stdout).toMatch(/known photos answered "unknown" +\d+\.\d % {2}\(6 photos\)/);
    expect(text.stdout).toMatch(/AUROC +(0|1)\.\d{4}/);
    expect(text.stdout).toContain('report.html: open-set section updated');
    const report = await readFile(join(openRun, 'report.html'), 'utf8');
    expect(report).not.toContain('<h2>old</h2>');
    expect(report).toContain('unknown photos (3)');
    expect(report).toMatch(/<p>rest<\/p><\/body><\/html>$/);

    const json = JSON.parse(
      ferry('eval', '--run', openRun, '--data', join(dataDir, 'val'), '--ood', join(root, 'ood'), '--json')
        .stdout,
    );
    expect(json.ood).toMatchObject({ method: 'knn-cosine', unknown: 3, known: 6 });
    for (const key of ['auroc', 'fpr95', 'unknownRejected', 'knownRejected'])
      expect(json.ood[key], key).toBeGreaterThanOrEqual(0);

    // A model exported before open-set support: a clear error, not a crash.
    expect(ferry('export', '--run', runDir).code).toBe(0);
    const old = ferry('eval', '--run', runDir, '--data', join(dataDir, 'val'), '--ood', join(root, 'ood'));
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/has no open-set answer/);
  });
});
