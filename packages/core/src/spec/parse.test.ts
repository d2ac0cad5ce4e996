import { describe, expect, it } from 'vitest';
import { createModelSpec } from './create.js';
import { ModelSpecError, parseModelSpec, serializeModelSpec } from './parse.js';

const valid = () =>
  createModelSpec({
    name: 'ants-vs-bees',
    labels: ['ants', 'bees'],
    width: 224,
    height: 224,
    normalization: { kind: 'scale', scale: 1 / 127.5, offset: -1 },
    backbone: { id: 'mobilenet_v2_0.35_224', featureLayer: 'out_relu' },
    head: { type: 'dense', hiddenUnits: [], dropout: 0.2, pooling: 'avg' },
    training: { mode: 'features', valAccuracy: 0.93, epochs: 10 },
  });

function rejection(mutate: (spec: Record<string, any>) => void): ModelSpecError {
  const spec = JSON.parse(JSON.stringify(valid()));
  mutate(spec);
  try {
    parseModelSpec(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelSpecError);
    return error as ModelSpecError;
  }
  throw new Error('spec was accepted');
}

describe('model spec', () => {
  it('round-trips through JSON unchanged', () => {
    const spec = valid();
    expect(parseModelSpec(serializeModelSpec(spec))).toEqual(spec);
    expect(spec.preprocess).toEqual([
      { op: 'resizeShorterSide', size: 256 },
      { op: 'centerCrop', width: 224, height: 224 },
    ]);
  });

  it.each([
    ['format', (s: any) => (s.format = 'onnx'), 'format'],
    ['version', (s: any) => (s.version = 2), 'version'],
    ['missing labels', (s: any) => delete s.labels, 'labels'],
    ['single label', (s: any) => (s.labels = ['ants']), 'labels'],
    ['duplicate label', (s: any) => (s.labels = ['ants', 'ants']), 'labels[1]'],
    ['empty label', (s: any) => (s.labels = ['ants', '']), 'labels[1]'],
    ['width', (s: any) => (s.input.width = 0), 'input.width'],
    ['height type', (s: any) => (s.input.height = '224'), 'input.height'],
    ['layout', (s: any) => (s.input.layout = 'NCWH'), 'input.layout'],
    ['channels', (s: any) => (s.input.channels = 4), 'input.channels'],
    [
      'normalization kind',
      (s: any) => (s.input.normalization = { kind: 'zscore' }),
      'input.normalization.kind',
    ],
    [
      'std zero',
      (s: any) => (s.input.normalization = { kind: 'meanStd', mean: [0, 0, 0], std: [1, 0, 1] }),
      'input.normalization.std[1]',
    ],
    ['unknown transform', (s: any) => (s.preprocess = [{ op: 'blur' }]), 'preprocess[0].op'],
    [
      'random eval transform',
      (s: any) => s.preprocess.push({ op: 'randomHorizontalFlip', p: 0.5 }),
      'preprocess',
    ],
    [
      'pipeline size mismatch',
      (s: any) => (s.preprocess = [{ op: 'resize', width: 200, height: 224 }]),
      'preprocess',
    ],
    ['output', (s: any) => (s.output = { logits: 'logits' }), 'output.probabilities'],
    ['head dropout', (s: any) => (s.head.dropout = 1.5), 'head.dropout'],
    ['accuracy', (s: any) => (s.training.valAccuracy = 93), 'training.valAccuracy'],
    ['unknown field', (s: any) => (s.lables = ['a', 'b']), 'lables'],
  ])('rejects a bad %s and names the field', (_name, mutate, field) => {
    const error = rejection(mutate);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('rejects non-JSON and non-objects', () => {
    expect(() => parseModelSpec('{"format": ')).toThrow(/not valid JSON/);
    expect(() => parseModelSpec([1, 2])).toThrow(/expected an object/);
  });
});
