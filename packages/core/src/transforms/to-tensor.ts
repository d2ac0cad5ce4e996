import { assertImage, type Image } from '../image.js';

export type Layout = 'NHWC' | 'NCHW';

/**
 * How bytes become model inputs. `scale`: x * scale + offset on 0..255 values (MobileNet's
 * x/127.5 - 1 is scale 1/127.5, offset -1). `meanStd`: (x/255 - mean[c]) / std[c] (ImageNet).
 */
export type Normalization =
  | { kind: 'scale'; scale: number; offset: number }
  | { kind: 'meanStd'; mean: [number, number, number]; std: [number, number, number] };

export const IMAGENET_MEAN_STD: Normalization = {
  kind: 'meanStd',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Per-channel affine (a, b) so that value = byte * a[c] + b[c]; one code path for both kinds. */
export function normalizationCoefficients(n: Normalization): { a: number[]; b: number[] } {
  if (n.kind === 'scale') return { a: [n.scale, n.scale, n.scale], b: [n.offset, n.offset, n.offset] };
  return {
    a: n.std.map((s) => 1 / (255 * s)),
    b: n.mean.map((m, c) => -m / n.std[c]!),
  };
}

/**
 * RGB(A) bytes -> float32 in the given layout, written into `out` at `offset` (so a batch can
 * be filled image by image without copies). Alpha is ignored: flatten it first (toRgb).
 */
export function toTensor(
  image: Image,
  normalization: Normalization,
  layout: Layout = 'NHWC',
  out?: Float32Array,
  offset = 0,
): Float32Array {
  assertImage(image);
  const { width, height, channels: ch, data } = image;
  const plane = width * height;
  const target = out ?? new Float32Array(plane * 3);
  if (target.length < offset + plane * 3) throw new RangeError('toTensor output buffer is too small');
  const { a, b } = normalizationCoefficients(normalization);
  const [a0, a1, a2] = a as [number, number, number];
  const [b0, b1, b2] = b as [number, number, number];
  if (layout === 'NHWC') {
    for (let p = 0, i = 0, o = offset; p < plane; p++, i += ch, o += 3) {
      target[o] = data[i]! * a0 + b0;
      target[o + 1] = data[i + 1]! * a1 + b1;
      target[o + 2] = data[i + 2]! * a2 + b2;
    }
  } else {
    for (let p = 0, i = 0; p < plane; p++, i += ch) {
      target[offset + p] = data[i]! * a0 + b0;
      target[offset + plane + p] = data[i + 1]! * a1 + b1;
      target[offset + 2 * plane + p] = data[i + 2]! * a2 + b2;
    }
  }
  return target;
}
