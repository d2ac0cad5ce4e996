/**
 * createClassifier with and without the open-set outputs: new models answer `unknown` and
 * `oodScore` from the graph's score and calibrated probabilities; models exported before (no
 * openSet in the spec, or a spec whose outputs the graph lacks) answer exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { createClassifier, type SessionLike } from '../classifier.js';
import { createImage } from '../image.js';
import { createModelSpec } from '../spec/create.js';

const plainSpec = createModelSpec({
  name: 'm',
  labels: ['ants', 'bees'],
  width: 2,
  height: 2,
  normalization: { kind: 'scale', scale: 1, offset: 0 },
  preprocess: [{ op: 'resize', width: 2, height: 2 }],
});
const openSpec = {
  ...plainSpec,
  openSet: {
    method: 'knn-cosine' as const,
    scoreOutput: 'ood_score',
    probabilitiesOutput: 'calibrated_probabilities',
    threshold: 0.5,
    temperature: 0.5,
  },
};

/** A session answering fixed rows: image i gets score scores[i]. */
function fakeSession(outputs: string[], scores: number[]): SessionLike {
  return {
    inputNames: ['input'],
    outputNames: outputs,
    async run(feeds) {
      const n = (feeds.input as { dims: number[] }).dims[0]!;
      const rows = (p: number[]) => ({
        data: Float32Array.from({ length: n * 2 }, (_, i) => p[i % 2]!),
        dims: [n, 2],
      });
      const all: Record<string, { data: Float32Array; dims: number[] }> = {
        logits: rows([0, 1]),
        probabilities: rows([0.27, 0.73]),
        calibrated_probabilities: rows([0.12, 0.88]),
        ood_score: { data: Float32Array.from(scores.slice(0, n)), dims: [n] },
      };
      return Object.fromEntries(outputs.map((o) => [o, all[o]!]));
    },
  };
}
const image = createImage(2, 2, 3);

describe('createClassifier and the open-set outputs', () => {
  it('reads the score, marks photos above the threshold unknown, reports calibrated probabilities', async () => {
    const session = fakeSession(
      ['logits', 'probabilities', 'ood_score', 'calibrated_probabilities'],
      [0.2, 0.9],
    );
    const c = createClassifier(session, openSpec);
    const [known, unknown] = await c.classifyBatch([image, image]);
    expect(known).toMatchObject({ unknown: false });
    expect(known!.oodScore).toBeCloseTo(0.2, 6);
    expect(unknown).toMatchObject({ unknown: true });
    expect(unknown!.oodScore).toBeCloseTo(0.9, 6);
    expect(known!.predictions[0]!.label).toBe('bees');
    expect(known!.predictions[0]!.probability).toBeCloseTo(0.88, 6);
  });

  it('an old model (no openSet) answers as before: plain probabilities, no unknown field', async () => {
    const c = createClassifier(fakeSession(['logits', 'probabilities'], []), plainSpec);
    const r = await c.classify(image);
    expect(r.predictions[0]!.probability).toBeCloseTo(0.73, 6);
    expect('unknown' in r).toBe(false);
    expect('oodScore' in r).toBe(false);
  });

  it('a spec naming outputs the graph lacks falls back to the plain answer', async () => {
    const c = createClassifier(fakeSession(['logits', 'probabilities'], []), openSpec);
    const r = await c.classify(image);
    expect(r.predictions[0]!.probability).toBeCloseTo(0.73, 6);
    expect(r.unknown).toBeUndefined();
  });
});
