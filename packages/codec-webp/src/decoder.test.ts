/**
 * The wasm libwebp, rows box-reduced as they come, against what the trainer and the Node server
 * do with the same file: sharp's whole frame (libvips with libwebp 1.6), reduced by core's
 * boxReduce. Byte for byte, for lossy (with and without alpha), lossless and animated WebPs, odd
 * sizes, factors 1, 2, 3 and 8, and the shared real photos re-encoded as WebP.
 */
import { createBoxReducer, type Image } from '@ferry/core';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileWebpWasm,
  createWebpDecoder,
  loadWebpDecoder,
  WebpDecodeError,
  type WebpDecoder,
} from './node.js';
import { photo, photoPixels, sharedPhotos, sharpReduced } from './test-support/photos.js';

const FACTORS = [1, 2, 3, 8];

let decoder: WebpDecoder;
beforeAll(async () => {
  decoder = await loadWebpDecoder();
});

const webp = async (image: Sharp): Promise<Uint8Array> => new Uint8Array(await image.toBuffer());

/** Byte equality with the sharp + boxReduce reference at every factor; the first difference if not. */
async function expectSharpPixels(name: string, bytes: Uint8Array, factors = FACTORS): Promise<void> {
  for (const factor of factors) {
    const ours = await decoder.decodeReduced(bytes, factor);
    const reference = await sharpReduced(bytes, factor);
    expect([ours.width, ours.height, ours.channels], `${name} /${factor}`).toEqual([
      reference.width,
      reference.height,
      3,
    ]);
    const differs = ours.data.findIndex((value, i) => value !== reference.data[i]);
    expect(differs, `${name} /${factor}: first differing byte`).toBe(-1);
  }
}

/** An animation of `frames` RGBA frames (sharp writes it with libwebp's WebPAnimEncoder). */
function animation(width: number, height: number, frames: Buffer[]): Sharp {
  return sharp(Buffer.concat(frames), {
    raw: { width, height: height * frames.length, channels: 4, pageHeight: height },
  });
}

/** Rewrites the first ANMF frame's blending bit (0: alpha-blend onto the canvas, 1: overwrite). */
function withFirstFrameBlend(bytes: Uint8Array, blend: boolean): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let at = 12; at + 8 <= out.length; ) {
    const size = view.getUint32(at + 4, true);
    if (String.fromCharCode(...out.subarray(at, at + 4)) === 'ANMF') {
      out[at + 23] = blend ? out[at + 23]! & ~2 : out[at + 23]! | 2;
      return out;
    }
    at += 8 + size + (size & 1);
  }
  throw new Error('no ANMF chunk');
}

describe('lossy WebP (VP8), rows as libwebp decodes them', () => {
  it('gives sharp’s pixels, box-reduced, at odd sizes and qualities', async () => {
    const cases: [string, Sharp][] = [
      ['97x61 q80', photo(97, 61, 1).webp({ quality: 80 })],
      ['1x1', photo(1, 1, 2).webp({ quality: 80 })],
      ['17x33 q95', photo(17, 33, 3).webp({ quality: 95 })],
      ['333x257 q30', photo(333, 257, 4).webp({ quality: 30 })],
      ['640x479 q75 smart subsampling', photo(640, 479, 5).webp({ quality: 75, smartSubsample: true })],
      ['202x150 no loop filter (sns 0, filter 0)', photo(202, 150, 6).webp({ quality: 90, effort: 0 })],
    ];
    for (const [name, image] of cases) await expectSharpPixels(name, await webp(image));
  });

  it('gives sharp’s pixels with an ALPH chunk: lossless and quantised alpha, translucent edges', async () => {
    const rgba = (seed: number) => photo(203, 101, seed, 4);
    await expectSharpPixels('alpha q100', await webp(rgba(7).webp({ quality: 80 })));
    await expectSharpPixels('alpha q50', await webp(rgba(8).webp({ quality: 80, alphaQuality: 50 })));
    await expectSharpPixels('alpha q0', await webp(rgba(9).webp({ quality: 60, alphaQuality: 0 })));
  });

  it('hands out rows top to bottom, never holding the frame: a 12-MP photo in a few MB of wasm', async () => {
    const [width, height] = [4032, 3024];
    const bytes = await webp(
      sharp(photoPixels(width, height, 21), { raw: { width, height, channels: 3 } }).webp({ quality: 80 }),
    );
    const fresh = await createWebpDecoder(await compileWebpWasm());
    let next = 0;
    const header = await fresh.decodeRows(bytes, (h) => {
      expect(h).toEqual({ width, height, channels: 3, format: 'lossy', hasAlpha: false, frames: 1 });
      return (row, y) => {
        expect([y, row.length]).toEqual([next, width * 3]);
        next++;
      };
    });
    expect([header.height, next]).toEqual([height, height]);
    // The file (~1 MB) and libwebp's row caches; the RGB frame alone would be 36 MB.
    console.log(`12-MP lossy WebP (${bytes.length} bytes): wasm memory ${fresh.memoryBytes()} bytes`);
    expect(fresh.memoryBytes()).toBeLessThanOrEqual(4 * 2 ** 20);
    await expectSharpPixels('12 MP', bytes, [8]);
  });
});

describe('lossless WebP (VP8L) and animations', () => {
  it('gives sharp’s pixels for lossless RGB, RGBA and near-lossless', async () => {
    await expectSharpPixels('lossless rgb', await webp(photo(97, 61, 10).webp({ lossless: true })));
    await expectSharpPixels('lossless rgba', await webp(photo(131, 67, 11, 4).webp({ lossless: true })));
    await expectSharpPixels(
      'near lossless',
      await webp(photo(97, 61, 12).webp({ nearLossless: true, quality: 60 })),
    );
    // Few colours: libwebp codes it with a palette (colour-indexing transform, pixel bundling).
    await expectSharpPixels(
      'lossless palette',
      await webp(photo(150, 90, 13).png({ palette: true, colours: 4 }).webp({ lossless: true })),
    );
  });

  it('gives sharp’s first frame of an animation, on its canvas, blended or not', async () => {
    const [width, height] = [101, 77];
    const px = (seed: number, bordered: boolean) => {
      const data = photoPixels(width, height, seed, 4);
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const border = x < 10 || y < 8 || x >= 90 || y >= 70;
          data[(y * width + x) * 4 + 3] = bordered && border ? 0 : y < 20 ? 255 : (x * 5) % 256;
        }
      return data;
    };
    // The encoder crops a first frame with a transparent border: a frame smaller than its canvas.
    const lossy = await webp(animation(width, height, [px(1, true), px(2, false)]).webp({ quality: 80 }));
    const lossless = await webp(
      animation(width, height, [px(3, false), px(4, true)]).webp({ lossless: true }),
    );
    expect((await decoder.header(lossy)).format).toBe('animation');
    expect((await decoder.header(lossy)).frames).toBe(2);
    for (const [name, bytes] of [
      ['lossy', lossy],
      ['lossless', lossless],
    ] as const) {
      await expectSharpPixels(`animation ${name}`, bytes);
      await expectSharpPixels(`animation ${name}, first frame blended`, withFirstFrameBlend(bytes, true));
      await expectSharpPixels(
        `animation ${name}, first frame not blended`,
        withFirstFrameBlend(bytes, false),
      );
    }
  });
});

describe('the shared real photos as WebP', () => {
  it('gives sharp’s pixels, box-reduced, for each photo as lossy, lossy+alpha and lossless WebP', async () => {
    const photos = sharedPhotos('codec-webp decoder.test.ts');
    for (const [name, jpeg] of photos) {
      const image = () => sharp(jpeg).rotate();
      await expectSharpPixels(`${name} q80`, await webp(image().webp({ quality: 80 })));
      await expectSharpPixels(
        `${name} with alpha`,
        await webp(image().ensureAlpha(0.5).webp({ quality: 85, alphaQuality: 90 })),
        [1, 3],
      );
      await expectSharpPixels(`${name} lossless`, await webp(image().webp({ lossless: true })), [1, 8]);
    }
  });
});

describe('bad input', () => {
  it('refuses a truncated or corrupt file with a reason, and decodes the next one', async () => {
    const good = await webp(photo(120, 90, 30).webp({ quality: 80 }));
    const goodLossless = await webp(photo(120, 90, 31).webp({ lossless: true }));
    await expect(decoder.decodeReduced(good.subarray(0, good.length - 100), 2)).rejects.toThrow(
      /not enough data: truncated file/,
    );
    await expect(decoder.decodeReduced(goodLossless.subarray(0, 200), 2)).rejects.toThrow(WebpDecodeError);
    // The RIFF size fixed up to the cut length: libwebp then meets the end of the VP8 data itself.
    const cut = good.slice(0, Math.floor(good.length * 0.6));
    new DataView(cut.buffer).setUint32(4, cut.length - 8, true);
    new DataView(cut.buffer).setUint32(16, cut.length - 20, true);
    await expect(decoder.decodeReduced(cut, 1)).rejects.toThrow(/WebP|data/i);
    const badHeader = good.slice();
    badHeader.set([0, 0, 0], 23); // the VP8 start code 9d 01 2a
    await expect(decoder.decodeReduced(badHeader, 1)).rejects.toThrow(/bitstream error/);
    await expect(decoder.decodeReduced(new Uint8Array(0), 1)).rejects.toThrow(/empty input/);
    await expect(
      decoder.decodeReduced(new TextEncoder().encode('RIFF....WEBPnot a webp'), 1),
    ).rejects.toThrow(WebpDecodeError);
    await expectSharpPixels('after the bad ones', good, [1, 2]);
  });

  it('decodes corrupt lossy data as libwebp does (sharp’s pixels) or refuses it, never trapping', async () => {
    const good = await webp(photo(160, 120, 32).webp({ quality: 80 }));
    for (const at of [0.3, 0.5, 0.8]) {
      const corrupt = good.slice();
      const i = Math.floor(good.length * at);
      corrupt.set([corrupt[i]! ^ 0x5a, corrupt[i + 1]! ^ 0xa5], i);
      const reference = await sharpReduced(corrupt, 2).catch(() => undefined);
      const ours = await decoder.decodeReduced(corrupt, 2).catch((error: Error) => error);
      if (reference) expect(Buffer.from((ours as Image).data)).toEqual(Buffer.from(reference.data));
      else expect(ours).toBeInstanceOf(WebpDecodeError);
    }
    await expectSharpPixels('after corrupt ones', good, [1]);
  });

  it('passes on an error of the row sink, stops the decode, and decodes the next one', async () => {
    const good = await webp(photo(64, 200, 33).webp({ quality: 80 }));
    const lossless = await webp(photo(64, 200, 34).webp({ lossless: true }));
    for (const bytes of [good, lossless]) {
      let rows = 0;
      await expect(
        decoder.decodeRows(bytes, () => () => {
          if (++rows === 40) throw new RangeError('sink is full');
        }),
      ).rejects.toThrow(/sink is full/);
      expect(rows).toBe(40);
    }
    // A reducer of the wrong size refuses rows: its own error, not the decoder's.
    await expect(
      decoder.decodeRows(good, (h) => {
        const reducer = createBoxReducer(h.width, 10, h.channels, 2);
        return (row) => reducer.push(row);
      }),
    ).rejects.toThrow(/more than 10 rows/);
    await expectSharpPixels('after a refusing sink', good, [1, 3]);
  });
});
