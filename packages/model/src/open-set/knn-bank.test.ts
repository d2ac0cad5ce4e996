/**
 * The kNN bank inside model.onnx stays bounded whatever the dataset size: at most
 * MAX_KNN_BANK_ROWS training rows, evenly spaced (every class keeps its share), the same rows
 * every run; below the cap it is every training row, as before.
 */
import { describe, expect, it } from 'vitest';
import { evenRows, fitOpenSetMethod, MAX_KNN_BANK_ROWS, scoreOpenSet } from './methods/index.js';

/** `rows` feature vectors of `dim`, class c's rows pointing mostly along axis c. */
function classRows(rows: number, dim: number, classes: number) {
  const data = new Float32Array(rows * dim);
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    const c = Math.floor((r * classes) / rows); // class order, as the training rows come
    labels.push(c);
    for (let j = 0; j < dim; j++) data[r * dim + j] = j === c ? 1 : ((r * 31 + j * 17) % 97) / 970;
  }
  return { matrix: { data, rows, dim }, labels };
}

describe('kNN bank size', () => {
  it('evenRows keeps every class its share and is the identity below the cap', () => {
    const { matrix, labels } = classRows(1000, 8, 4);
    const kept = evenRows(matrix, 100);
    expect(kept.rows).toBe(100);
    const keptLabels = Array.from({ length: 100 }, (_, i) => labels[Math.floor((i * 1000) / 100)]!);
    for (let c = 0; c < 4; c++) expect(keptLabels.filter((l) => l === c)).toHaveLength(25);
    expect(Array.from(kept.data.subarray(8, 16))).toEqual(Array.from(matrix.data.subarray(80, 88)));
    expect(evenRows(matrix, 1000)).toBe(matrix);
  });

  it('a large training set gives a bank of MAX_KNN_BANK_ROWS rows, the same every fit, that still scores', () => {
    const rows = MAX_KNN_BANK_ROWS * 3 + 5;
    const { matrix, labels } = classRows(rows, 16, 4);
    const fit = (train: typeof matrix, trainLabels: number[]) => {
      const { params } = fitOpenSetMethod('knn-cosine', {
        train,
        trainLabels,
        classes: 4,
        k: 1,
        val: { data: new Float32Array(0), rows: 0, dim: 16 },
        valLogits: [],
        temperature: 1,
      });
      if (params.method !== 'knn-cosine') throw new Error('not a kNN fit');
      return params;
    };
    const a = fit(matrix, labels);
    const b = fit(matrix, labels);
    expect(a.bank.length).toBe(MAX_KNN_BANK_ROWS * 16);
    expect(a.bank).toEqual(b.bank);
    // A training row sits close to the bank; a vector unlike every class does not.
    const probe = new Float32Array(32);
    probe.set(matrix.data.subarray(7 * 16, 8 * 16), 0);
    probe.fill(0, 16);
    probe[16 + 15] = 1;
    const scores = scoreOpenSet(a, { data: probe, rows: 2, dim: 16 }, [[], []]);
    expect(scores[0]!).toBeLessThan(scores[1]!);
    const small = classRows(300, 16, 4);
    expect(fit(small.matrix, small.labels).bank.length).toBe(300 * 16);
  });
});
