import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPythonModules, runPython } from '@ferry/fixtures/python';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import { afterAll, describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { crop } from './crop.js';
import { applyTransform, applyTransforms, defaultEvalPipeline } from './pipeline.js';
import { resize, resizeShorterSide, resizeWindow, shorterSideSize } from './resize.js';

const rgb = (width: number, height: number, values: number[]): Image => ({
  width,
  height,
  channels: 3,
  data: Uint8Array.from(values),
});

describe('resize (hand-computed)', () => {
  it('averages two pixels when halving (the antialiasing triangle covers both)', () => {
    const out = resize(rgb(2, 1, [10, 20, 30, 20, 40, 61]), 1, 1);
    expect(Array.from(out.data)).toEqual([15, 30, 46]);
  });

  it('keeps a constant image constant at any size', () => {
    const src = rgb(3, 2, Array(18).fill(77));
    for (const [w, h] of [
      [1, 1],
      [7, 5],
      [2, 9],
    ] as const) {
      const out = resize(src, w, h);
      expect(out.width).toBe(w);
      expect(out.height).toBe(h);
      expect(new Set(out.data)).toEqual(new Set([77]));
    }
  });

  it('upscaling 2 -> 4 interpolates with Pillow weights (1/4, 3/4)', () => {
    const out = resize(
      { width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 0, 0, 100, 100, 100]) },
      4,
      1,
    );
    // centers at 0.25, 0.75, 1.25, 1.75 in source pixels -> 0, 25, 75, 100
    expect(Array.from(out.data).filter((_, i) => i % 3 === 0)).toEqual([0, 25, 75, 100]);
  });

  it('returns a copy for the identity size and rejects bad sizes', () => {
    const src = rgb(1, 1, [1, 2, 3]);
    const out = resize(src, 1, 1);
    expect(out.data).not.toBe(src.data);
    expect(Array.from(out.data)).toEqual([1, 2, 3]);
    expect(() => resize(src, 0, 4)).toThrow(/positive integers/);
    expect(() => resize({ ...src, data: new Uint8Array(2) }, 2, 2)).toThrow(/expected 1x1x3/);
  });

  it('resizes RGBA channel by channel, exactly as RGB (the 4-channel path agrees with the 3-channel one)', () => {
    const [w, h] = [37, 23];
    const rgba = new Uint8Array(w * h * 4).map((_, i) => (i * 7919 + (i >> 3)) % 256);
    const rgbOf = (offsets: number[]): Image => {
      const data = new Uint8Array(w * h * 3);
      for (let p = 0; p < w * h; p++)
        for (let c = 0; c < 3; c++) data[p * 3 + c] = rgba[p * 4 + offsets[c]!]!;
      return { width: w, height: h, channels: 3, data };
    };
    for (const [ow, oh] of [
      [11, 7],
      [80, 50],
    ] as const) {
      const out = resize({ width: w, height: h, channels: 4, data: rgba }, ow, oh);
      const colour = resize(rgbOf([0, 1, 2]), ow, oh);
      const alpha = resize(rgbOf([3, 3, 3]), ow, oh);
      for (let p = 0; p < ow * oh; p++) {
        for (let c = 0; c < 3; c++) expect(out.data[p * 4 + c]).toBe(colour.data[p * 3 + c]);
        expect(out.data[p * 4 + 3]).toBe(alpha.data[p * 3]);
      }
    }
  });

  it('shorter-side sizes truncate like torchvision', () => {
    expect(shorterSideSize(500, 375, 256)).toEqual([341, 256]);
    expect(shorterSideSize(375, 500, 256)).toEqual([256, 341]);
    expect(resizeShorterSide(rgb(4, 2, Array(24).fill(5)), 3)).toMatchObject({ width: 6, height: 3 });
  });
});

/**
 * Pillow reference: python decodes each file and resizes it with Image.resize(BILINEAR); we
 * resize Pillow's own decoded pixels with core and compare. Decoders are out of the picture.
 */
const PILLOW_SCRIPT = `
import sys, os
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
sizes = [(224, 224), (256, 341), (64, 48), (31, 17), (300, 1000)]
im = Image.open(src).convert('RGB')
with open(os.path.join(out, 'src.rgb'), 'wb') as f: f.write(im.tobytes())
print(im.width, im.height)
for w, h in sizes:
    with open(os.path.join(out, f'{w}x{h}.rgb'), 'wb') as f: f.write(im.resize((w, h), Image.BILINEAR).tobytes())
`;
const SIZES: [number, number][] = [
  [224, 224],
  [256, 341],
  [64, 48],
  [31, 17],
  [300, 1000],
];

function compareWithPillow(file: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pil-'));
  try {
    const [w, h] = runPython(PILLOW_SCRIPT, [file, dir]).trim().split(' ').map(Number) as [number, number];
    const src: Image = { width: w, height: h, channels: 3, data: readFileSync(join(dir, 'src.rgb')) };
    let worst = 0;
    for (const [tw, th] of SIZES) {
      const ours = resize(src, tw, th);
      const theirs = readFileSync(join(dir, `${tw}x${th}.rgb`));
      expect(ours.data.length).toBe(theirs.length);
      for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours.data[i]! - theirs[i]!));
    }
    return worst;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(hasPythonModules(['PIL'], 'resize vs Pillow'))('resize matches Pillow BILINEAR', () => {
  const synthDir = mkdtempSync(join(tmpdir(), 'ferry-synth-'));
  afterAll(() => rmSync(synthDir, { recursive: true, force: true }));

  it('on synthetic photos made by Pillow (noise + gradients), within 2 levels', () => {
    runPython(
      `
import sys, random
from PIL import Image
random.seed(7)
for i, (w, h) in enumerate([(640, 480), (333, 517), (97, 1203)]):
    im = Image.new('RGB', (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 255) // w, (y * 255) // h, random.randrange(256))
    im.save(f'{sys.argv[1]}/synth{i}.png')
`,
      [synthDir],
    );
    for (const f of readdirSync(synthDir))
      expect(compareWithPillow(join(synthDir, f))).toBeLessThanOrEqual(2);
  });

  it.runIf(haveRealData('imagesDir', 'resize vs Pillow on real photos'))(
    'on the real photos, within 2 levels',
    () => {
      const dir = realData().imagesDir!;
      const files = readdirSync(dir).filter((f) => f.endsWith('.jpg'));
      expect(files.length).toBeGreaterThan(0);
      const worst = Object.fromEntries(files.map((f) => [f, compareWithPillow(join(dir, f))]));
      console.log('max |core - Pillow| per photo:', worst);
      for (const v of Object.values(worst)) expect(v).toBeLessThanOrEqual(2);
    },
  );
});

describe('resizeWindow (the resize + centre crop of the eval pipeline, fused)', () => {
  const noise = (width: number, height: number, channels: 3 | 4, seed: number): Image => {
    let s = seed;
    const data = new Uint8Array(width * height * channels);
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      data[i] = s >>> 24;
    }
    return { width, height, channels, data };
  };

  it('gives the bytes of crop(resize(...)) for down- and upscales, odd windows, RGBA, kept axes', () => {
    const cases: [number, number, 3 | 4, number, number, number, number, number, number][] = [
      // source w, h, channels, resize w, h, window left, top, w, h
      [500, 375, 3, 341, 256, 58, 16, 224, 224],
      [375, 500, 3, 256, 341, 16, 58, 224, 224],
      [97, 61, 4, 40, 30, 3, 1, 33, 27],
      [31, 17, 3, 90, 70, 11, 0, 79, 70],
      [64, 48, 3, 64, 20, 5, 2, 50, 16],
      [64, 48, 3, 30, 48, 0, 7, 30, 40],
      [10, 10, 3, 7, 7, 0, 0, 7, 7],
    ];
    for (const [sw, sh, ch, w, h, left, top, cw, chh] of cases) {
      const src = noise(sw, sh, ch, sw * 31 + sh);
      const fused = resizeWindow(src, w, h, left, top, cw, chh);
      const reference = crop(resize(src, w, h), left, top, cw, chh);
      expect({ width: fused.width, height: fused.height, channels: fused.channels }).toEqual({
        width: cw,
        height: chh,
        channels: ch,
      });
      expect(Buffer.from(fused.data).equals(Buffer.from(reference.data))).toBe(true);
    }
  });

  it('applyTransforms fuses resizeShorterSide + centerCrop without changing a byte', () => {
    const steps = defaultEvalPipeline(224, 224);
    for (const [w, h] of [
      [500, 375],
      [333, 500],
      [224, 224],
      [640, 200],
      [150, 120],
    ] as const) {
      const src = noise(w, h, 3, w + h);
      const oneByOne = steps.reduce((im, step) => applyTransform(im, step), src);
      expect(Buffer.from(applyTransforms(src, steps).data).equals(Buffer.from(oneByOne.data))).toBe(true);
    }
  });
});

/**
 * Pillow's two-pass fixed-point BILINEAR written the plain way (one loop per output value, no
 * unrolled tap counts, no accumulator rows): resize's fast paths must give exactly these bytes.
 */
function referenceResize(src: Image, width: number, height: number): Image {
  const coefficients = (inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    const filterScale = Math.max(scale, 1);
    return Array.from({ length: outSize }, (_, xx) => {
      const center = (xx + 0.5) * scale;
      const xmin = Math.max(0, Math.trunc(center - filterScale + 0.5));
      const xmax = Math.min(inSize, Math.trunc(center + filterScale + 0.5));
      const raw = Array.from({ length: xmax - xmin }, (_, x) =>
        Math.max(0, 1 - Math.abs((x + xmin - center + 0.5) / filterScale)),
      );
      const total = raw.reduce((a, b) => a + b, 0);
      return { xmin, weights: raw.map((w) => Math.trunc(0.5 + (total === 0 ? w : w / total) * 2 ** 22)) };
    });
  };
  const clip = (sum: number) => Math.min(255, Math.max(0, sum >> 22));
  const ch = src.channels;
  const horizontal = coefficients(src.width, width);
  const rows = new Uint8Array(width * src.height * ch);
  for (let y = 0; y < src.height; y++)
    horizontal.forEach(({ xmin, weights }, x) => {
      for (let c = 0; c < ch; c++) {
        let sum = 2 ** 21;
        weights.forEach((w, t) => {
          sum += src.data[(y * src.width + xmin + t) * ch + c]! * w;
        });
        rows[(y * width + x) * ch + c] = clip(sum);
      }
    });
  const out = new Uint8Array(width * height * ch);
  coefficients(src.height, height).forEach(({ xmin: ymin, weights }, y) => {
    for (let i = 0; i < width * ch; i++) {
      let sum = 2 ** 21;
      weights.forEach((w, t) => {
        sum += rows[(ymin + t) * width * ch + i]! * w;
      });
      out[y * width * ch + i] = clip(sum);
    }
  });
  return { width, height, channels: ch, data: out };
}

describe('resize against a plain reference', () => {
  it('is byte for byte the plain two-pass resize at every tap count (1-7 taps per axis), RGB and RGBA', () => {
    let seed = 9;
    const noise = (width: number, height: number, channels: 3 | 4): Image => {
      const data = new Uint8Array(width * height * channels);
      for (let i = 0; i < data.length; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        data[i] = seed >>> 24;
      }
      return { width, height, channels, data };
    };
    // Upscales (2 taps), 1.1-1.5x downscales (3-4 taps), 2x and 3x downscales (5-7 taps).
    for (const [sw, sh, w, h] of [
      [37, 29, 80, 61],
      [120, 90, 100, 80],
      [150, 112, 100, 80],
      [200, 160, 100, 80],
      [300, 240, 100, 80],
      [96, 64, 96, 40],
      [64, 96, 40, 96],
    ] as const)
      for (const ch of [3, 4] as const) {
        const src = noise(sw, sh, ch);
        const fast = resize(src, w, h);
        const plain = referenceResize(src, w, h);
        expect(
          Buffer.from(fast.data).equals(Buffer.from(plain.data)),
          `${sw}x${sh} -> ${w}x${h}, ${ch} ch`,
        ).toBe(true);
      }
  });
});
