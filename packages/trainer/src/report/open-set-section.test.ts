/**
 * report.html's "Unknown photos and calibration" section: the val score histogram with the
 * threshold marked (and the unknown photos' when given), and a reliability diagram before and
 * after temperature scaling with each ECE; nothing for a run without an open-set answer.
 */
import { expectedCalibrationError, softmaxWithTemperature } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import type { TrainResult } from '../train/results.js';
import { openSetSection, trainingOpenSetData } from './report-html.js';

const predictions = Array.from({ length: 40 }, (_, i) => {
  const p = 0.55 + (i % 9) * 0.05;
  return {
    path: `/v/${i}.jpg`,
    label: i % 2,
    predicted: i % 5 === 0 ? 1 - (i % 2) : i % 2,
    probabilities: i % 2 ? [1 - p, p] : [p, 1 - p],
  };
});
const result = {
  predictions,
  openSetValScores: predictions.map((_, i) => 0.2 + i / 200),
} as unknown as TrainResult;
const openSet = {
  method: 'knn-cosine+energy' as const,
  scoreOutput: 'ood_score',
  probabilitiesOutput: 'calibrated_probabilities',
  threshold: 0.37,
  temperature: 1.7,
  valRejected: 0.05,
};

describe('report.html open-set section', () => {
  it('shows the score histogram with the threshold and a reliability diagram with ECE before/after', () => {
    const html = openSetSection(openSet, {
      ...trainingOpenSetData(result, openSet),
      unknownScores: [0.5, 0.6, 0.7],
    });
    expect(html).toContain('<h2>Unknown photos and calibration</h2>');
    expect(html).toContain('threshold 0.3700');
    expect(html).toContain('known (val) photos (40)');
    expect(html).toContain('100.0 % are answered "unknown"');
    expect(html).toContain('unknown photos (3)');
    const labels = predictions.map((p) => p.label);
    const before = expectedCalibrationError(
      predictions.map((p) => p.probabilities),
      labels,
    ).toFixed(3);
    const after = expectedCalibrationError(
      predictions.map((p) => softmaxWithTemperature(p.probabilities.map(Math.log), 1.7)),
      labels,
    ).toFixed(3);
    expect(html).toContain(`softmax (ECE ${before})`);
    expect(html).toContain(`T = 1.70 (ECE ${after})`);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('5.0 % of the val photos');
  });

  it('is empty for a run without an open-set answer', () => {
    expect(openSetSection(undefined, trainingOpenSetData(result, openSet))).toBe('');
  });
});
