/**
 * The loader's view choice: finetune shows an image through the plain eval view with a set
 * probability and through the augmenting pipeline otherwise, reproducibly per seed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyTransforms, createRandom, defaultEvalPipeline, type TransformStep } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../test-support/synthetic.js';
import { decodeImageFile } from './decode.js';
import { decodeRuleOf, loadSample, pickPipeline } from './loader.js';

const augmenting: TransformStep[] = [
  { op: 'randomResizedCrop', width: 32, height: 32, scale: [0.25, 1], ratio: [3 / 4, 4 / 3] },
];
const plain = defaultEvalPipeline(32, 32);

describe('pickPipeline', () => {
  it('without a plain view takes the pipeline and draws nothing', () => {
    const random = createRandom(5);
    expect(pickPipeline({ pipeline: augmenting }, random)).toBe(augmenting);
    expect(random.next()).toBe(createRandom(5).next());
  });

  it('shows the plain view with its probability', () => {
    const random = createRandom(11);
    const always = { pipeline: augmenting, plainView: { pipeline: plain, probability: 1 } };
    const never = { pipeline: augmenting, plainView: { pipeline: plain, probability: 0 } };
    expect(pickPipeline(always, random)).toBe(plain);
    expect(pickPipeline(never, random)).toBe(augmenting);
    const third = { pipeline: augmenting, plainView: { pipeline: plain, probability: 1 / 3 } };
    const draws = 3000;
    let plainCount = 0;
    for (let i = 0; i < draws; i++) if (pickPipeline(third, random) === plain) plainCount++;
    expect(plainCount / draws).toBeGreaterThan(0.3);
    expect(plainCount / draws).toBeLessThan(0.37);
  });
});

describe('loadSample with a plain view', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-loader-'));
    file = join(dir, 'photo.jpg');
    await writeFile(file, await syntheticJpeg(1, 3, 90, 60));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const sample = () => ({ path: file, label: 0 });
  const normalization = { kind: 'scale', scale: 1, offset: 0 } as const;

  it('probability 1 gives exactly the eval view; the same seed gives the same view', async () => {
    // Decoded as loadSample decodes: at the DCT scale its pipeline's decode rule allows.
    const { image: decoded } = await decodeImageFile(file, decodeRuleOf({ pipeline: augmenting }));
    const always = await loadSample(sample(), {
      pipeline: augmenting,
      plainView: { pipeline: plain, probability: 1 },
      normalization,
      seed: 1,
    });
    expect(Buffer.from(always.image.data).equals(Buffer.from(applyTransforms(decoded, plain).data))).toBe(
      true,
    );

    const options = {
      pipeline: augmenting,
      plainView: { pipeline: plain, probability: 0.5 },
      normalization,
      seed: 9,
    };
    const a = await loadSample(sample(), options);
    const b = await loadSample(sample(), options);
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
  });
});
