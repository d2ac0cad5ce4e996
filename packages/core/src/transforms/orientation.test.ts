import { describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { applyOrientation } from './orientation.js';

// A 3x2 image whose pixel values are their index: [[0,1,2],[3,4,5]] (one channel repeated).
const grid: Image = {
  width: 3,
  height: 2,
  channels: 3,
  data: Uint8Array.from([0, 1, 2, 3, 4, 5].flatMap((v) => [v, v, v])),
};
const rows = (img: Image) => {
  const out: number[][] = [];
  for (let y = 0; y < img.height; y++) {
    out.push(Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * 3]!));
  }
  return out;
};

describe('applyOrientation (EXIF 1..8 as displayed by viewers)', () => {
  it.each([
    [
      1,
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
    ],
    [
      2,
      [
        [2, 1, 0],
        [5, 4, 3],
      ],
    ],
    [
      3,
      [
        [5, 4, 3],
        [2, 1, 0],
      ],
    ],
    [
      4,
      [
        [3, 4, 5],
        [0, 1, 2],
      ],
    ],
    [
      5,
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
    ],
    [
      6,
      [
        [3, 0],
        [4, 1],
        [5, 2],
      ],
    ],
    [
      7,
      [
        [5, 2],
        [4, 1],
        [3, 0],
      ],
    ],
    [
      8,
      [
        [2, 5],
        [1, 4],
        [0, 3],
      ],
    ],
  ])('orientation %i', (orientation, expected) => {
    expect(rows(applyOrientation(grid, orientation))).toEqual(expected);
  });
});
