import { describe, expect, it } from 'vitest';
import { boxReduce, createBoxReducer } from './box-reduce.js';
import { boxReducedSize, boxReduceFactor, decodeRuleForPipeline } from './decode-scale.js';
import type { Image } from './image.js';
import { toRgb } from './image.js';

function noise(width: number, height: number, channels: 3 | 4, seed: number): Image {
  const data = new Uint8Array(width * height * channels);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, channels, data };
}

/** The definition, written plainly: each output pixel is the rounded mean of its (partial) box. */
function reference(image: Image, k: number): Image {
  const rgb = toRgb(image);
  const { width, height } = boxReducedSize(image.width, image.height, k);
  const data = new Uint8Array(width * height * 3);
  for (let oy = 0; oy < height; oy++)
    for (let ox = 0; ox < width; ox++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let y = oy * k; y < Math.min(image.height, (oy + 1) * k); y++)
          for (let x = ox * k; x < Math.min(image.width, (ox + 1) * k); x++) {
            sum += rgb.data[(y * image.width + x) * 3 + c]!;
            n++;
          }
        data[(oy * width + ox) * 3 + c] = Math.floor(sum / n + 0.5);
      }
  return { width, height, channels: 3, data };
}

describe('box reduction (decode rule reduce: box)', () => {
  it('picks the largest factor that keeps the shorter side at the rule minimum', () => {
    const rule = decodeRuleForPipeline([{ op: 'resizeShorterSide', size: 256 }]);
    expect(rule.reduce).toBe('box');
    expect(boxReduceFactor(2880, 1800, rule)).toBe(7); // 412x258
    expect(boxReduceFactor(2048, 2732, rule)).toBe(8); // 256x342
    expect(boxReduceFactor(6000, 4000, rule)).toBe(15); // 400x267
    expect(boxReduceFactor(300, 200, rule)).toBe(1);
    // Rules from before it (no `reduce`) and no rule: full size.
    expect(boxReduceFactor(6000, 4000, { minShorterSide: 256, scales: 'eighths' })).toBe(1);
    expect(boxReduceFactor(6000, 4000, undefined)).toBe(1);
    // Rounding up can keep a factor the floor would refuse: 257 / 2 -> 129 >= 129.
    expect(boxReduceFactor(1000, 257, { minShorterSide: 129, reduce: 'box' })).toBe(2);
  });

  it('averages each box exactly, partial edge boxes and alpha (flattened on white) included', () => {
    for (const [w, h, k, channels] of [
      [17, 11, 3, 3],
      [64, 48, 4, 4],
      [23, 40, 7, 4],
      [5, 5, 5, 3],
    ] as const) {
      const image = noise(w, h, channels, w * h);
      expect(boxReduce(image, k), `${w}x${h}/${k} ${channels}ch`).toEqual(reference(image, k));
    }
  });

  it('gives the same bytes pushed row by row as from a whole frame, and refuses a short image', () => {
    const image = noise(31, 9, 4, 7);
    const reducer = createBoxReducer(31, 9, 4, 4);
    for (let y = 0; y < 9; y++) reducer.push(image.data.slice(y * 31 * 4, (y + 1) * 31 * 4));
    expect(reducer.finish()).toEqual(boxReduce(image, 4));
    const short = createBoxReducer(31, 9, 4, 4);
    short.push(image.data.subarray(0, 31 * 4));
    expect(() => short.finish()).toThrow(/1 of 9 rows/);
  });
});
