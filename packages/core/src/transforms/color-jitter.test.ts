import { describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { createRandom } from '../random.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  colorJitter,
} from './color-jitter.js';

const pixels = (values: number[][]): Image => ({
  width: values.length,
  height: 1,
  channels: 3,
  data: Uint8Array.from(values.flat()),
});

describe('colour adjustments', () => {
  it('brightness scales and clamps', () => {
    expect(Array.from(adjustBrightness(pixels([[100, 200, 10]]), 1.5).data)).toEqual([150, 255, 15]);
  });

  it('contrast blends towards the mean luma', () => {
    // luma of (0,0,0) is 0 and of (200,200,200) is 200: mean 100
    const out = adjustContrast(
      pixels([
        [0, 0, 0],
        [200, 200, 200],
      ]),
      0.5,
    );
    expect(Array.from(out.data)).toEqual([50, 50, 50, 150, 150, 150]);
  });

  it('saturation 0 gives grey, 1 is the identity', () => {
    const img = pixels([[255, 0, 0]]);
    expect(Array.from(adjustSaturation(img, 0).data)).toEqual([76, 76, 76]);
    expect(Array.from(adjustSaturation(img, 1).data)).toEqual([255, 0, 0]);
  });

  it('hue rotates the colour wheel (red + 1/3 turn = green)', () => {
    expect(Array.from(adjustHue(pixels([[255, 0, 0]]), 1 / 3).data)).toEqual([0, 255, 0]);
    expect(Array.from(adjustHue(pixels([[10, 20, 30]]), 0).data)).toEqual([10, 20, 30]);
    expect(Array.from(adjustHue(pixels([[90, 90, 90]]), 0.25).data)).toEqual([90, 90, 90]);
  });
});

describe('colorJitter', () => {
  const img = pixels([
    [10, 50, 200],
    [240, 120, 30],
    [0, 0, 0],
  ]);
  it('is the identity with zero strengths', () => {
    expect(colorJitter(img, createRandom(1), {}).data).toEqual(img.data);
  });
  it('is reproducible with the same seed and varies across seeds', () => {
    const opts = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 };
    expect(colorJitter(img, createRandom(7), opts).data).toEqual(
      colorJitter(img, createRandom(7), opts).data,
    );
    expect(colorJitter(img, createRandom(7), opts).data).not.toEqual(
      colorJitter(img, createRandom(8), opts).data,
    );
  });
  it('rejects out-of-range strengths', () => {
    expect(() => colorJitter(img, createRandom(1), { hue: 0.7 })).toThrow(/hue/);
    expect(() => colorJitter(img, createRandom(1), { brightness: -1 })).toThrow(/brightness/);
  });
});
