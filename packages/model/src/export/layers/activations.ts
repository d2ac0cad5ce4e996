/**
 * Keras activations (the `activation` of Conv2D/Dense/... and the Activation layer) as ONNX
 * ops. Names are normalised so tfjs' camelCase (`hardSigmoid`) and Keras' snake_case
 * (`hard_sigmoid`) both resolve.
 */
import { attr, type GraphTensor, type OnnxGraphBuilder, onnxAxis } from '../graph-builder.js';

type Emit = (b: OnnxGraphBuilder, x: GraphTensor, name: string) => string;

function clip(b: OnnxGraphBuilder, x: string, name: string, min: number, max: number): string {
  const lo = b.addFloats(`${name}/min`, [min], []);
  const hi = b.addFloats(`${name}/max`, [max], []);
  return b.op('Clip', [x, lo, hi], name);
}

const ACTIVATIONS: Record<string, Emit> = {
  linear: (_b, x) => x.name,
  relu: (b, x, name) => b.op('Relu', [x.name], name),
  relu6: (b, x, name) => clip(b, x.name, name, 0, 6),
  sigmoid: (b, x, name) => b.op('Sigmoid', [x.name], name),
  // tfjs/Keras hard_sigmoid is clip(0.2x + 0.5, 0, 1) == ONNX HardSigmoid(alpha .2, beta .5).
  hardsigmoid: (b, x, name) =>
    b.op('HardSigmoid', [x.name], name, [attr.float('alpha', 0.2), attr.float('beta', 0.5)]),
  tanh: (b, x, name) => b.op('Tanh', [x.name], name),
  softmax: (b, x, name) => b.op('Softmax', [x.name], name, [attr.int('axis', onnxAxis(x, -1))]),
  logsoftmax: (b, x, name) => b.op('LogSoftmax', [x.name], name, [attr.int('axis', onnxAxis(x, -1))]),
  swish: (b, x, name) => b.op('Mul', [x.name, b.op('Sigmoid', [x.name], `${name}/sigmoid`)], name),
  elu: (b, x, name) => b.op('Elu', [x.name], name, [attr.float('alpha', 1)]),
  selu: (b, x, name) => b.op('Selu', [x.name], name),
  softplus: (b, x, name) => b.op('Softplus', [x.name], name),
  softsign: (b, x, name) => b.op('Softsign', [x.name], name),
  mish: (b, x, name) =>
    b.op(
      'Mul',
      [x.name, b.op('Tanh', [b.op('Softplus', [x.name], `${name}/softplus`)], `${name}/tanh`)],
      name,
    ),
  // Exact GELU, 0.5 x (1 + erf(x / sqrt 2)); the Gelu op itself needs opset 20.
  gelu: (b, x, name) => {
    const invSqrt2 = b.addFloats(`${name}/inv_sqrt2`, [Math.SQRT1_2], []);
    const one = b.addFloats(`${name}/one`, [1], []);
    const half = b.addFloats(`${name}/half`, [0.5], []);
    const erf = b.op('Erf', [b.op('Mul', [x.name, invSqrt2], `${name}/scale`)], `${name}/erf`);
    const inner = b.op('Add', [erf, one], `${name}/add`);
    return b.op('Mul', [b.op('Mul', [x.name, half], `${name}/half_x`), inner], name);
  },
};

export function normalizeActivationName(identifier: unknown): string {
  if (identifier === null || identifier === undefined) return 'linear';
  const raw =
    typeof identifier === 'string'
      ? identifier
      : typeof identifier === 'object' && identifier !== null && 'className' in identifier
        ? String((identifier as { className: unknown }).className)
        : String(identifier);
  return raw.replace(/_/g, '').toLowerCase();
}

export function isSupportedActivation(identifier: unknown): boolean {
  return normalizeActivationName(identifier) in ACTIVATIONS;
}

/** Applies a Keras activation; `linear` returns the input tensor unchanged (no node). */
export function applyActivation(
  b: OnnxGraphBuilder,
  x: GraphTensor,
  identifier: unknown,
  name: string,
): GraphTensor {
  const key = normalizeActivationName(identifier);
  const emit = ACTIVATIONS[key];
  if (!emit) throw new Error(`activation "${String(identifier)}" is not supported`);
  const out = emit(b, x, name);
  return out === x.name ? x : { ...x, name: out };
}
