import { describe, expect, it } from 'vitest';
import { decodeRuleForPipeline, jpegScaleDenominator, jpegScaledSize } from './decode-scale.js';
import { createModelSpec } from './spec/create.js';
import { parseModelSpec } from './spec/parse.js';
import { defaultEvalPipeline } from './transforms/pipeline.js';

const rule = { minShorterSide: 256 };

describe('decode rule', () => {
  it('picks the smallest DCT scale that keeps the shorter side at the rule', () => {
    expect(jpegScaleDenominator(4032, 3024, rule)).toBe(8); // 504x378
    expect(jpegScaleDenominator(3024, 4032, rule)).toBe(8);
    expect(jpegScaleDenominator(6000, 4000, rule)).toBe(8); // 750x500
    expect(jpegScaleDenominator(2048, 1536, rule)).toBe(4); // 1/8 would be 256x192
    expect(jpegScaleDenominator(1024, 768, rule)).toBe(2);
    expect(jpegScaleDenominator(500, 375, rule)).toBe(1); // the dataset's photos: unchanged
    expect(jpegScaleDenominator(2048, 2048, rule)).toBe(8); // exactly 256 is enough
    expect(jpegScaleDenominator(2047, 2047, rule)).toBe(8); // 1/8 rounds up to 256
    expect(jpegScaleDenominator(2041, 2041, rule)).toBe(8);
    expect(jpegScaleDenominator(2040, 2040, rule)).toBe(4); // 1/8 would be 255
  });

  it('decodes at full size without a rule (model files from before it)', () => {
    expect(jpegScaleDenominator(4032, 3024, undefined)).toBe(1);
  });

  it("rounds scaled sides up, as libjpeg's jdiv_round_up does", () => {
    expect(jpegScaledSize(4031, 3023, 8)).toEqual({ width: 504, height: 378 });
    expect(jpegScaledSize(2041, 2047, 4)).toEqual({ width: 511, height: 512 });
  });

  it('derives the rule from the largest size the eval pipeline resizes or crops to', () => {
    expect(decodeRuleForPipeline(defaultEvalPipeline(224, 224))).toEqual({ minShorterSide: 256 });
    expect(decodeRuleForPipeline([{ op: 'resize', width: 320, height: 240 }])).toEqual({
      minShorterSide: 320,
    });
    expect(decodeRuleForPipeline([{ op: 'squareCrop' }, { op: 'resize', width: 96, height: 96 }])).toEqual({
      minShorterSide: 96,
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
    expect(spec.decode).toEqual({ minShorterSide: 256 });
    const { decode: _dropped, ...old } = spec;
    expect(parseModelSpec(JSON.parse(JSON.stringify(old))).decode).toBeUndefined();
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
