import { describe, expect, it } from 'vitest';
import {
  decodeRuleForPipeline,
  formatJpegScale,
  type JpegEighths,
  jpegScaledSize,
  jpegScaleEighths,
} from './decode-scale.js';
import { createModelSpec } from './spec/create.js';
import { parseModelSpec } from './spec/parse.js';
import { defaultEvalPipeline } from './transforms/pipeline.js';

const rule = { minShorterSide: 256 };
const eighthsRule = { minShorterSide: 256, scales: 'eighths' } as const;

describe('decode rule', () => {
  it('without `scales` (rules from before M/8): the smallest of 1/8, 1/4, 1/2 that keeps the shorter side', () => {
    expect(jpegScaleEighths(4032, 3024, rule)).toBe(1); // 504x378
    expect(jpegScaleEighths(3024, 4032, rule)).toBe(1);
    expect(jpegScaleEighths(6000, 4000, rule)).toBe(1); // 750x500
    expect(jpegScaleEighths(2048, 1536, rule)).toBe(2); // 1/8 would be 256x192
    expect(jpegScaleEighths(1024, 768, rule)).toBe(4);
    expect(jpegScaleEighths(500, 375, rule)).toBe(8); // the dataset's photos: full size, as before
    expect(jpegScaleEighths(2048, 2048, rule)).toBe(1); // exactly 256 is enough
    expect(jpegScaleEighths(2047, 2047, rule)).toBe(1); // 1/8 rounds up to 256
    expect(jpegScaleEighths(2041, 2041, rule)).toBe(1);
    expect(jpegScaleEighths(2040, 2040, rule)).toBe(2); // 1/8 would be 255
  });

  it("with scales 'eighths': the smallest M/8 that keeps the shorter side", () => {
    expect(jpegScaleEighths(4032, 3024, eighthsRule)).toBe(1);
    expect(jpegScaleEighths(500, 375, eighthsRule)).toBe(6); // 375x282; 5/8 would be 313x235
    expect(jpegScaleEighths(375, 500, eighthsRule)).toBe(6);
    expect(jpegScaleEighths(1024, 768, eighthsRule)).toBe(3); // 384x288 instead of 1/2's 512x384
    expect(jpegScaleEighths(2048, 1536, eighthsRule)).toBe(2);
    expect(jpegScaleEighths(683, 683, eighthsRule)).toBe(3); // ceil(683 * 3 / 8) = 257
    expect(jpegScaleEighths(681, 681, eighthsRule)).toBe(3); // ceil(255.375) = 256: enough
    expect(jpegScaleEighths(680, 680, eighthsRule)).toBe(4); // 3/8 would be exactly 255
    expect(jpegScaleEighths(300, 292, eighthsRule)).toBe(7); // 263x256
    expect(jpegScaleEighths(300, 291, eighthsRule)).toBe(8); // 7/8 would be 255 high
    expect(jpegScaleEighths(256, 256, eighthsRule)).toBe(8);
    expect(jpegScaleEighths(224, 224, eighthsRule)).toBe(8); // already small: never upscaled
  });

  it('decodes at full size without a rule (model files from before it)', () => {
    expect(jpegScaleEighths(4032, 3024, undefined)).toBe(8);
  });

  it("rounds scaled sides up, as libjpeg's jdiv_round_up does", () => {
    expect(jpegScaledSize(4031, 3023, 1)).toEqual({ width: 504, height: 378 });
    expect(jpegScaledSize(2041, 2047, 2)).toEqual({ width: 511, height: 512 });
    expect(jpegScaledSize(500, 375, 6)).toEqual({ width: 375, height: 282 });
    expect(jpegScaledSize(333, 251, 7)).toEqual({ width: 292, height: 220 });
  });

  it('names scales as reduced fractions', () => {
    expect([1, 2, 3, 4, 6, 8].map((m) => formatJpegScale(m as JpegEighths))).toEqual([
      '1/8',
      '1/4',
      '3/8',
      '1/2',
      '3/4',
      '1/1',
    ]);
  });

  it('derives the rule from the largest size the eval pipeline resizes or crops to', () => {
    const current = { ...eighthsRule, reduce: 'box' };
    expect(decodeRuleForPipeline(defaultEvalPipeline(224, 224))).toEqual(current);
    expect(decodeRuleForPipeline([{ op: 'resize', width: 320, height: 240 }])).toEqual({
      minShorterSide: 320,
      scales: 'eighths',
      reduce: 'box',
    });
    expect(decodeRuleForPipeline([{ op: 'squareCrop' }, { op: 'resize', width: 96, height: 96 }])).toEqual({
      minShorterSide: 96,
      scales: 'eighths',
      reduce: 'box',
    });
  });

  it('is stored in new model specs and absent from old ones', () => {
    const spec = createModelSpec({
      name: 'm',
      labels: ['a', 'b'],
      width: 224,
      height: 224,
      normalization: { kind: 'scale', scale: 1 / 127.5, offset: -1 },
    });
    expect(spec.decode).toEqual({ ...eighthsRule, reduce: 'box' });
    expect(parseModelSpec(JSON.parse(JSON.stringify(spec))).decode).toEqual({
      ...eighthsRule,
      reduce: 'box',
    });
    // A rule from before box reduction reads back without it (PNG, WebP, GIF at full size).
    expect(parseModelSpec({ ...spec, decode: eighthsRule }).decode).toEqual(eighthsRule);
    expect(() => parseModelSpec({ ...spec, decode: { ...eighthsRule, reduce: 'lanczos' } })).toThrow(
      /decode.reduce/,
    );
    const { decode: _dropped, ...old } = spec;
    expect(parseModelSpec(JSON.parse(JSON.stringify(old))).decode).toBeUndefined();
    // A rule from before M/8 scales reads back without them (1/8, 1/4, 1/2, 1/1 only).
    expect(parseModelSpec({ ...spec, decode: { minShorterSide: 256 } }).decode).toEqual({
      minShorterSide: 256,
    });
    expect(() => parseModelSpec({ ...spec, decode: { minShorterSide: 256, scales: 'sixteenths' } })).toThrow(
      /decode.scales/,
    );
    expect(
      createModelSpec({
        name: 'm',
        labels: ['a', 'b'],
        width: 8,
        height: 8,
        normalization: spec.input.normalization,
        decode: null,
      }).decode,
    ).toBeUndefined();
    expect(() => parseModelSpec({ ...spec, decode: { minShorterSide: 0 } })).toThrow(/decode.minShorterSide/);
    expect(() => parseModelSpec({ ...spec, decode: { minShorterSide: 256, jpeg: 1 } })).toThrow(
      /decode.jpeg/,
    );
  });
});
