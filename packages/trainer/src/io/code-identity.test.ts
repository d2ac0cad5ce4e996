/**
 * The caches' code identity covers the code that made their content wherever it lives: the
 * backbone's ONNX converter is @ferry/model's, so an edited converter, layer mapping or graph
 * pass must change the identity the feature and converted-backbone caches are keyed on.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeFiles, codeIdentity, filesIdentity } from './code-identity.js';

const require = createRequire(import.meta.url);
const modelDist = dirname(require.resolve('@ferry/model'));
const coreDist = dirname(require.resolve('@ferry/core'));
const scratch = mkdtempSync(join(tmpdir(), 'ferry-code-identity-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('codeIdentity', () => {
  it("covers @ferry/model's converter (layers, passes, protobuf writer) and core's transforms", () => {
    const files = codeFiles();
    for (const module of [
      'export/convert.js',
      'export/onnx-proto.js',
      'export/layers/conv2d.js',
      'export/layers/registry.js',
      'export/passes/fold-batch-norm.js',
      'export/precision/weight-precision.js',
    ])
      expect(files).toContain(join(modelDist, module));
    expect(files.some((f) => f.startsWith(join(coreDist, 'transforms')))).toBe(true);
    // Code only: tests, source maps and typings do not change what it computes.
    expect(files.filter((f) => /\.test\.|\.map$|\.d\.ts$/.test(f))).toEqual([]);
    expect(codeFiles('data').length).toBeGreaterThan(files.length);
    expect(codeIdentity()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes when one converter module changes, and only then', () => {
    // A copy of @ferry/model's compiled folder stands in for it: an edited layer mapping.
    const copy = join(scratch, 'model-dist');
    cpSync(modelDist, copy, { recursive: true });
    const inCopy = codeFiles().map((f) =>
      f.startsWith(`${modelDist}/`) ? join(copy, relative(modelDist, f)) : f,
    );
    const before = filesIdentity(inCopy);
    expect(filesIdentity(inCopy)).toBe(before);
    writeFileSync(join(copy, 'export/layers/conv2d.js'), '\n// an edited mapping\n', { flag: 'a' });
    expect(filesIdentity(inCopy)).not.toBe(before);
  });
});
