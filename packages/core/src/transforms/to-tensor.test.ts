import { describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { toRgb } from '../image.js';
import { IMAGENET_MEAN_STD, toTensor } from './to-tensor.js';

const img: Image = { width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 127.5, 255, 255, 0, 51]) };

describe('toTensor', () => {
  it('NHWC with x/127.5 - 1', () => {
    const t = toTensor(img, { kind: 'scale', scale: 1 / 127.5, offset: -1 }, 'NHWC');
    const expected = [-1, 127 / 127.5 - 1, 1, 1, -1, 51 / 127.5 - 1];
    expected.forEach((v, i) => expect(t[i]).toBeCloseTo(v, 6));
  });

  it('NCHW with ImageNet mean/std', () => {
    const t = toTensor(img, IMAGENET_MEAN_STD, 'NCHW');
    const norm = (v: number, c: number) =>
      (v / 255 - (IMAGENET_MEAN_STD as { mean: number[] }).mean[c]!) /
      (IMAGENET_MEAN_STD as { std: number[] }).std[c]!;
    const expected = [norm(0, 0), norm(255, 0), norm(127, 1), norm(0, 1), norm(255, 2), norm(51, 2)];
    expected.forEach((v, i) => expect(t[i]).toBeCloseTo(v, 5));
  });

  it('writes into a batch buffer at an offset and ignores alpha', () => {
    const rgba: Image = { width: 1, height: 1, channels: 4, data: Uint8Array.from([10, 20, 30, 0]) };
    const out = new Float32Array(6).fill(9);
    toTensor(rgba, { kind: 'scale', scale: 1, offset: 0 }, 'NHWC', out, 3);
    expect(Array.from(out)).toEqual([9, 9, 9, 10, 20, 30]);
    expect(() => toTensor(rgba, { kind: 'scale', scale: 1, offset: 0 }, 'NHWC', new Float32Array(2))).toThrow(
      /too small/,
    );
  });

  it('toRgb composites alpha over white', () => {
    const rgba: Image = {
      width: 2,
      height: 1,
      channels: 4,
      data: Uint8Array.from([0, 0, 0, 0, 100, 50, 0, 255]),
    };
    expect(Array.from(toRgb(rgba).data)).toEqual([255, 255, 255, 100, 50, 0]);
  });
});
