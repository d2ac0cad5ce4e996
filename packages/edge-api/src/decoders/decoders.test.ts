/**
 * The Workers decoders (pure JS / wasm) against sharp (libvips), the decoder of the Node
 * server and `ferry predict`, on every format variant. Lossless formats must match exactly;
 * JPEG goes through libjpeg-turbo's decoder in wasm, so it must match exactly too (CMYK aside).
 */
import { boxReduce, boxReduceFactor, type DecodeRule, type Image, readImageHeader, toRgb } from '@ferry/core';
import { decodableSamples, photo, type Sample } from '@ferry/trainer/testing';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeUpload, decodeWithSharp } from '../adapter/node/decode-sharp.js';
import { initWasmDecoders } from '../test-support/wasm-decoders.js';
import { createJsDecoder, decodePng, decodePngReduced } from './index.js';

const decodeJs = createJsDecoder();

function pixelDiff(a: Image, b: Image): { max: number; mean: number } {
  const ra = toRgb(a);
  const rb = toRgb(b);
  expect([ra.width, ra.height]).toEqual([rb.width, rb.height]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ra.data.length; i++) {
    const d = Math.abs(ra.data[i]! - rb.data[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / ra.data.length };
}

describe('JS/wasm decoders vs sharp', () => {
  let samples: Sample[];
  beforeAll(async () => {
    await initWasmDecoders();
    samples = await decodableSamples();
  });

  it('decodes every variant to the same pixels as sharp (exactly, CMYK JPEG aside)', async () => {
    const report: Record<string, { max: number; mean: number }> = {};
    for (const sample of samples) {
      const header = readImageHeader(sample.bytes)!;
      const js = await decodeJs(sample.bytes, header);
      const ref = await decodeWithSharp(sample.bytes, 40_000_000);
      expect(js.channels === 3 || js.channels === 4).toBe(true);
      const diff = pixelDiff(js, ref);
      report[sample.name] = { max: diff.max, mean: Number(diff.mean.toFixed(3)) };
    }
    console.log('decoded-pixel difference JS/wasm vs sharp (0..255):', JSON.stringify(report, null, 1));
    for (const [name, diff] of Object.entries(report)) {
      if (name === 'jpeg cmyk') {
        // libvips converts CMYK through an ICC profile (its built-in one when the file has none);
        // the wasm uses the profile-free C*K/255 that Pillow uses, in every runtime (the Node
        // server too). Same picture, shifted colours.
        expect(diff.mean, name).toBeLessThan(40);
      } else {
        // libjpeg-turbo's decoder in wasm = the one inside sharp: identical pixels, JPEG included.
        expect(diff.max, name).toBe(0);
      }
    }
  });

  it('turns 16-bit samples into 8-bit the way libvips does (v >> 8)', async () => {
    const bytes = new Uint8Array(await photo(16, 8).toColourspace('rgb16').png().toBuffer());
    expect(readImageHeader(bytes)!.bitDepth).toBe(16);
    const js = decodePng(bytes);
    const ref = await sharp(bytes).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
    expect(Buffer.from(js.data)).toEqual(ref);
  });

  it('refuses a truncated JPEG instead of returning partial grey pixels', async () => {
    const full = new Uint8Array(await photo(120, 90).jpeg().toBuffer());
    const cut = full.subarray(0, Math.floor(full.length * 0.6));
    await expect(Promise.resolve().then(() => decodeJs(cut, readImageHeader(cut)!))).rejects.toThrow();
  });

  it('refuses corrupt JPEG scan data and keeps decoding afterwards', async () => {
    const good = new Uint8Array(await photo(120, 90).jpeg().toBuffer());
    const header = readImageHeader(good)!;
    const corrupt = good.slice();
    // An invalid marker (0xFF6C) in the middle of the entropy-coded data: libjpeg warns, and
    // sharp (failOn 'warning') refuses the file, so Workers must refuse it too.
    corrupt.set([0xff, 0x6c], Math.floor(good.length / 2));
    await expect(decodeWithSharp(corrupt, 40_000_000)).rejects.toThrow();
    await expect(decodeJs(corrupt, header)).rejects.toThrow(/corrupt JPEG data/i);
    // A fatal libjpeg error ends in emscripten's exit(); the next request must still decode.
    await expect(decodeJs(good.subarray(0, 200), header)).rejects.toThrow(/JPEG decode failed/);
    const again = await decodeJs(good, header);
    expect(pixelDiff(again, await decodeWithSharp(good, 40_000_000)).max).toBe(0);
  });

  it('leaves EXIF orientation to the app (returns the stored pixels, unrotated)', async () => {
    const bytes = new Uint8Array(await photo(80, 40).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    const header = readImageHeader(bytes)!;
    expect(header.orientation).toBe(6);
    const decoded = await decodeJs(bytes, header);
    expect([decoded.width, decoded.height]).toEqual([80, 40]);
  });
});

describe('PNG streamed row by row (png-rows.ts)', () => {
  it('gives exactly the whole-frame decode, box-reduced, for every PNG variant and sub-byte depths', async () => {
    const pngs = (await decodableSamples()).filter((s) => readImageHeader(s.bytes)?.format === 'png');
    // Palettes at 1, 2 and 4 bits (sub-byte rows), with the filter types libpng picks for them.
    for (const colours of [2, 4, 16])
      pngs.push({
        name: `palette ${colours} colours`,
        bytes: new Uint8Array(await photo(97, 61, colours).png({ palette: true, colours }).toBuffer()),
      } as Sample);
    expect(pngs.length).toBeGreaterThanOrEqual(7);
    for (const sample of pngs) {
      const whole = decodePng(sample.bytes);
      for (const factor of [1, 3, 8]) {
        const streamed = await decodePngReduced(sample.bytes, factor);
        const expected = factor === 1 ? toRgb(whole) : boxReduce(whole, factor);
        expect(
          Buffer.from(streamed.data).equals(Buffer.from(expected.data)),
          `${sample.name} /${factor}`,
        ).toBe(true);
      }
    }
  });

  it('refuses a damaged PNG (bad CRC, data cut short) with a reason', async () => {
    const good = new Uint8Array(await photo(120, 90).png().toBuffer());
    const flipped = good.slice();
    flipped[good.length - 20]! ^= 0xff; // inside the last IDAT (or its CRC)
    await expect(decodePngReduced(flipped, 2)).rejects.toThrow(/CRC mismatch|PNG/);
    await expect(decodePngReduced(good.subarray(0, good.length >> 1), 2)).rejects.toThrow(/PNG/);
  });
});

describe('WebP decoded row by row into the box reducer (@ferry/codec-webp)', () => {
  beforeAll(initWasmDecoders);

  /** RGBA photo pixels whose alpha is 0 in a border and ramps elsewhere. */
  const rgba = (width: number, height: number, seed: number, border: number) => {
    const data = Buffer.alloc(width * height * 4);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        const inside = x >= border && y >= border && x < width - border && y < height - border;
        const alpha = inside ? Math.min(255, 60 + x) : 0;
        data.set(
          [Math.floor((x * 255) / width), Math.floor((y * 255) / height), (x * y + seed * 40) % 256, alpha],
          i,
        );
      }
    return data;
  };

  it("gives the Node server's pixels (sharp, then core's box reduction) for every kind of WebP, at every rule", async () => {
    const animated = (frames: Buffer[]) =>
      sharp(Buffer.concat(frames), {
        raw: { width: 101, height: 77 * frames.length, channels: 4, pageHeight: 77 },
      });
    const webps: [string, Promise<Buffer>][] = [
      ['lossy', photo(331, 197, 41).webp({ quality: 80 }).toBuffer()],
      [
        'lossy with alpha',
        sharp(rgba(331, 197, 42, 9), { raw: { width: 331, height: 197, channels: 4 } })
          .webp({ quality: 80 })
          .toBuffer(),
      ],
      ['lossless', photo(331, 197, 43).webp({ lossless: true }).toBuffer()],
      [
        'lossless with alpha',
        sharp(rgba(331, 197, 44, 0), { raw: { width: 331, height: 197, channels: 4 } })
          .webp({ lossless: true })
          .toBuffer(),
      ],
      [
        'animated (first frame)',
        animated([rgba(101, 77, 45, 6), rgba(101, 77, 46, 0)])
          .webp({ quality: 80 })
          .toBuffer(),
      ],
    ];
    const rules: (DecodeRule | undefined)[] = [
      undefined,
      { minShorterSide: 66, reduce: 'box' },
      { minShorterSide: 10, reduce: 'box' },
    ];
    for (const [name, made] of webps) {
      const bytes = new Uint8Array(await made);
      const header = readImageHeader(bytes)!;
      for (const rule of rules) {
        const factor = boxReduceFactor(header.width, header.height, rule);
        const js = await decodeJs(bytes, header, rule);
        const node = toRgb(await decodeUpload(bytes, header, rule, 40_000_000));
        expect(js.channels, `${name} /${factor}`).toBe(3);
        expect([js.width, js.height], `${name} /${factor}`).toEqual([node.width, node.height]);
        expect(Buffer.from(js.data).equals(Buffer.from(node.data)), `${name} /${factor}`).toBe(true);
      }
    }
  });

  it('refuses a truncated WebP with the reason and decodes the next one', async () => {
    const good = new Uint8Array(await photo(120, 90, 47).webp({ quality: 80 }).toBuffer());
    const header = readImageHeader(good)!;
    await expect(decodeJs(good.subarray(0, good.length - 50), header)).rejects.toThrow(
      /WebP decode failed: .*truncated file/,
    );
    expect(pixelDiff(await decodeJs(good, header), await decodeWithSharp(good, 40_000_000)).max).toBe(0);
  });
});
