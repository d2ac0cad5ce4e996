import { isRandomPipeline, pipelineOutputSize, type TransformStep } from '../transforms/pipeline.js';
import {
  MODEL_SPEC_FORMAT,
  MODEL_SPEC_VERSION,
  type ModelSpec,
  OPEN_SET_METHODS,
  type OpenSetSpec,
} from './model-spec.js';

/** A malformed spec; `field` is the dotted path of the first bad field (e.g. `input.width`). */
export class ModelSpecError extends Error {
  override name = 'ModelSpecError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid model spec: ${field}: ${message}`);
  }
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, field: string): Obj {
  if (!isObject(v)) throw new ModelSpecError(field, `expected an object, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function string(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new ModelSpecError(field, `expected a non-empty string, got ${describe(v)}`);
  return v;
}

function number(v: unknown, field: string, check?: (n: number) => boolean, what = 'a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (check && !check(v))) {
    throw new ModelSpecError(field, `expected ${what}, got ${describe(v)}`);
  }
  return v;
}

const positiveInt = (v: unknown, field: string): number =>
  number(v, field, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

function oneOf<T extends string>(v: unknown, field: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) {
    throw new ModelSpecError(
      field,
      `expected one of ${options.map((o) => `"${o}"`).join(', ')}, got ${describe(v)}`,
    );
  }
  return v as T;
}

function triple(
  v: unknown,
  field: string,
  check: (n: number) => boolean,
  what: string,
): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3)
    throw new ModelSpecError(field, `expected an array of 3 numbers, got ${describe(v)}`);
  return v.map((x, i) => number(x, `${field}[${i}]`, check, what)) as [number, number, number];
}

function pair(v: unknown, field: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2)
    throw new ModelSpecError(field, `expected [min, max], got ${describe(v)}`);
  const [a, b] = v.map((x, i) => number(x, `${field}[${i}]`, (n) => n > 0, 'a positive number')) as [
    number,
    number,
  ];
  if (a > b) throw new ModelSpecError(field, `min ${a} is greater than max ${b}`);
  return [a, b];
}

/** Validates one JSON transform description. Exported for pipelines stored outside a spec. */
export function parseTransformStep(v: unknown, field: string): TransformStep {
  const o = object(v, field);
  const op = oneOf(o.op, `${field}.op`, [
    'resize',
    'resizeShorterSide',
    'centerCrop',
    'squareCrop',
    'randomResizedCrop',
    'randomHorizontalFlip',
    'colorJitter',
  ] as const);
  const nonNegative = (x: unknown, f: string) => number(x, `${field}.${f}`, (n) => n >= 0, 'a number >= 0');
  switch (op) {
    case 'resize':
    case 'centerCrop':
      return {
        op,
        width: positiveInt(o.width, `${field}.width`),
        height: positiveInt(o.height, `${field}.height`),
      };
    case 'resizeShorterSide':
      return { op, size: positiveInt(o.size, `${field}.size`) };
    case 'squareCrop':
      return { op };
    case 'randomResizedCrop':
      return {
        op,
        width: positiveInt(o.width, `${field}.width`),
        height: positiveInt(o.height, `${field}.height`),
        scale: pair(o.scale, `${field}.scale`),
        ratio: pair(o.ratio, `${field}.ratio`),
      };
    case 'randomHorizontalFlip':
      return { op, p: number(o.p, `${field}.p`, (n) => n >= 0 && n <= 1, 'a probability in [0, 1]') };
    case 'colorJitter':
      return {
        op,
        brightness: nonNegative(o.brightness, 'brightness'),
        contrast: nonNegative(o.contrast, 'contrast'),
        saturation: nonNegative(o.saturation, 'saturation'),
        hue: number(o.hue, `${field}.hue`, (n) => n >= 0 && n <= 0.5, 'a number in [0, 0.5]'),
      };
  }
}

export function parseTransformSteps(v: unknown, field: string): TransformStep[] {
  if (!Array.isArray(v))
    throw new ModelSpecError(field, `expected an array of transforms, got ${describe(v)}`);
  return v.map((s, i) => parseTransformStep(s, `${field}[${i}]`));
}

/**
 * Parses and validates a model spec (a JSON string or an already-parsed value). Unknown
 * top-level keys are rejected so a typo does not silently fall back to a default.
 */
export function parseModelSpec(document: unknown): ModelSpec {
  let raw = document;
  if (typeof document === 'string') {
    try {
      raw = JSON.parse(document);
    } catch (error) {
      throw new ModelSpecError('(root)', `not valid JSON (${(error as Error).message})`);
    }
  }
  const o = object(raw, '(root)');
  const known = new Set([
    'format',
    'version',
    'name',
    'task',
    'labels',
    'input',
    'preprocess',
    'decode',
    'output',
    'backbone',
    'head',
    'training',
    'openSet',
  ]);
  for (const key of Object.keys(o)) if (!known.has(key)) throw new ModelSpecError(key, 'unknown field');
  if (o.format !== MODEL_SPEC_FORMAT)
    throw new ModelSpecError('format', `expected "${MODEL_SPEC_FORMAT}", got ${describe(o.format)}`);
  if (o.version !== MODEL_SPEC_VERSION) {
    throw new ModelSpecError(
      'version',
      `this Ferry reads spec version ${MODEL_SPEC_VERSION}, got ${describe(o.version)}`,
    );
  }
  const name = string(o.name, 'name');
  const task = oneOf(o.task, 'task', ['image-classification'] as const);

  if (!Array.isArray(o.labels) || o.labels.length < 2) {
    throw new ModelSpecError('labels', `expected an array of at least 2 labels, got ${describe(o.labels)}`);
  }
  const labels = o.labels.map((l, i) => string(l, `labels[${i}]`));
  const seen = new Set<string>();
  labels.forEach((l, i) => {
    if (seen.has(l)) throw new ModelSpecError(`labels[${i}]`, `duplicate label "${l}"`);
    seen.add(l);
  });

  const inp = object(o.input, 'input');
  const normRaw = object(inp.normalization, 'input.normalization');
  const kind = oneOf(normRaw.kind, 'input.normalization.kind', ['scale', 'meanStd'] as const);
  const normalization =
    kind === 'scale'
      ? {
          kind,
          scale: number(normRaw.scale, 'input.normalization.scale', (n) => n !== 0, 'a non-zero number'),
          offset: number(normRaw.offset, 'input.normalization.offset'),
        }
      : {
          kind,
          mean: triple(normRaw.mean, 'input.normalization.mean', () => true, 'a finite number'),
          std: triple(normRaw.std, 'input.normalization.std', (n) => n > 0, 'a positive number'),
        };
  const input: ModelSpec['input'] = {
    name: string(inp.name, 'input.name'),
    width: positiveInt(inp.width, 'input.width'),
    height: positiveInt(inp.height, 'input.height'),
    channels: number(inp.channels, 'input.channels', (n) => n === 3, 'exactly 3') as 3,
    channelOrder: oneOf(inp.channelOrder, 'input.channelOrder', ['RGB'] as const),
    layout: oneOf(inp.layout, 'input.layout', ['NHWC', 'NCHW'] as const),
    dtype: oneOf(inp.dtype, 'input.dtype', ['float32'] as const),
    normalization,
  };

  const preprocess = parseTransformSteps(o.preprocess, 'preprocess');
  if (isRandomPipeline(preprocess)) {
    throw new ModelSpecError('preprocess', 'the eval pipeline must be deterministic (no random transforms)');
  }
  const probe = pipelineOutputSize(preprocess, 1000, 750);
  const probeTall = pipelineOutputSize(preprocess, 750, 1000);
  for (const p of [probe, probeTall]) {
    if (p.width !== input.width || p.height !== input.height) {
      throw new ModelSpecError(
        'preprocess',
        `must end at the input size ${input.width}x${input.height}, but yields ${p.width}x${p.height} for some images`,
      );
    }
  }

  const out = object(o.output, 'output');
  const output = {
    logits: string(out.logits, 'output.logits'),
    probabilities: string(out.probabilities, 'output.probabilities'),
  };

  const spec: ModelSpec = {
    format: MODEL_SPEC_FORMAT,
    version: MODEL_SPEC_VERSION,
    name,
    task,
    labels,
    input,
    preprocess,
    output,
  };
  if (o.decode !== undefined) {
    const d = object(o.decode, 'decode');
    for (const key of Object.keys(d)) {
      if (key !== 'minShorterSide' && key !== 'scales' && key !== 'reduce')
        throw new ModelSpecError(`decode.${key}`, 'unknown field');
    }
    spec.decode = { minShorterSide: positiveInt(d.minShorterSide, 'decode.minShorterSide') };
    if (d.scales !== undefined) {
      // Absent in rules from before M/8 scales: those keep decoding at 1/8, 1/4, 1/2 or 1/1.
      if (d.scales !== 'eighths') throw new ModelSpecError('decode.scales', 'must be "eighths"');
      spec.decode.scales = 'eighths';
    }
    if (d.reduce !== undefined) {
      // Absent in rules from before it: PNG, WebP and GIF keep decoding at full size.
      if (d.reduce !== 'box') throw new ModelSpecError('decode.reduce', 'must be "box"');
      spec.decode.reduce = 'box';
    }
  }
  if (o.backbone !== undefined) {
    const b = object(o.backbone, 'backbone');
    spec.backbone = {
      id: string(b.id, 'backbone.id'),
      featureLayer: string(b.featureLayer, 'backbone.featureLayer'),
    };
    if (b.source !== undefined) spec.backbone.source = string(b.source, 'backbone.source');
  }
  if (o.head !== undefined) {
    const h = object(o.head, 'head');
    if (!Array.isArray(h.hiddenUnits))
      throw new ModelSpecError('head.hiddenUnits', `expected an array, got ${describe(h.hiddenUnits)}`);
    spec.head = {
      type: oneOf(h.type, 'head.type', ['dense'] as const),
      hiddenUnits: h.hiddenUnits.map((u, i) => positiveInt(u, `head.hiddenUnits[${i}]`)),
      dropout: number(h.dropout, 'head.dropout', (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
      pooling: oneOf(h.pooling, 'head.pooling', ['avg', 'max', 'none'] as const),
    };
  }
  if (o.training !== undefined) {
    const t = object(o.training, 'training');
    if (t.valAccuracy !== undefined)
      number(t.valAccuracy, 'training.valAccuracy', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
    if (t.mode !== undefined) oneOf(t.mode, 'training.mode', ['features', 'freeze', 'finetune'] as const);
    spec.training = t as ModelSpec['training'];
  }
  if (o.openSet !== undefined) spec.openSet = parseOpenSet(o.openSet);
  return spec;
}

function parseOpenSet(v: unknown): OpenSetSpec {
  const o = object(v, 'openSet');
  const known = new Set([
    'method',
    'scoreOutput',
    'probabilitiesOutput',
    'threshold',
    'temperature',
    'valRejected',
    'eceBefore',
    'eceAfter',
    'k',
  ]);
  for (const key of Object.keys(o))
    if (!known.has(key)) throw new ModelSpecError(`openSet.${key}`, 'unknown field');
  const share = (x: unknown, f: string) =>
    number(x, `openSet.${f}`, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
  const out: OpenSetSpec = {
    method: oneOf(o.method, 'openSet.method', OPEN_SET_METHODS),
    scoreOutput: string(o.scoreOutput, 'openSet.scoreOutput'),
    probabilitiesOutput: string(o.probabilitiesOutput, 'openSet.probabilitiesOutput'),
    threshold: number(o.threshold, 'openSet.threshold'),
    temperature: number(o.temperature, 'openSet.temperature', (n) => n > 0, 'a positive number'),
  };
  if (o.valRejected !== undefined) out.valRejected = share(o.valRejected, 'valRejected');
  if (o.eceBefore !== undefined) out.eceBefore = share(o.eceBefore, 'eceBefore');
  if (o.eceAfter !== undefined) out.eceAfter = share(o.eceAfter, 'eceAfter');
  if (o.k !== undefined) out.k = positiveInt(o.k, 'openSet.k');
  return out;
}

export function serializeModelSpec(spec: ModelSpec): string {
  return JSON.stringify(parseModelSpec(spec));
}
