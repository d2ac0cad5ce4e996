import { join } from 'node:path';
import { boxReduce } from '@ferry/core';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { badFiles, syntheticJpeg } from '../test-support/synthetic.js';
import { DecodeError, decodeImageBuffer, decodeImageFile } from './decode.js';

describe('decodeImageBuffer', () => {
  it('decodes a JPEG to RGB bytes', async () => {
    const image = await decodeImageBuffer(await syntheticJpeg(0, 1, 64, 48));
    expect(image).toMatchObject({ width: 64, height: 48, channels: 3 });
    expect(image.data.length).toBe(64 * 48 * 3);
  });

  it('gives one-line reasons for truncated, empty and text files', async () => {
    const bad = await badFiles();
    await expect(decodeImageBuffer(bad['truncated.jpg']!, 't.jpg')).rejects.toThrow(/t\.jpg: cannot decode/);
    await expect(decodeImageBuffer(bad['empty.jpg']!, 'e.jpg')).rejects.toThrow(
      'e.jpg: empty file (0 bytes)',
    );
    const text = decodeImageBuffer(bad['notes.jpg']!, 'n.jpg');
    await expect(text).rejects.toBeInstanceOf(DecodeError);
    await expect(decodeImageBuffer(bad['notes.jpg']!, 'n.jpg')).rejects.toThrow(/not an image/);
  });

  it("decodes a large JPEG at the decode rule's DCT scale, oriented, as the edge API does", async () => {
    const { loadJpegDecoder } = await import('@ferry/codec-jpeg/node');
    const decoder = await loadJpegDecoder();
    const raw = await syntheticJpeg(0, 1, 1000, 750);
    const bytes = await sharp(raw).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
    // A current rule allows every M/8: 1000x750 at 3/8 is 375x282; orientation 6 turns it to 282x375.
    const image = await decodeImageBuffer(bytes, 'big.jpg', { minShorterSide: 256, scales: 'eighths' });
    expect([image.width, image.height]).toEqual([282, 375]);
    const stored = await decoder.decode(bytes, { eighths: 3 });
    // Row 0 of the rotated image is column 0 of the stored one, read bottom to top.
    for (let x = 0; x < 282; x += 37) {
      const from = ((281 - x) * 375 + 0) * 3;
      expect([...image.data.subarray(x * 3, x * 3 + 3)]).toEqual([...stored.data.subarray(from, from + 3)]);
    }
    // A rule from before M/8 scales: 1/2 (1/4 would be 250x188), exactly as before.
    const old = await decodeImageBuffer(bytes, 'big.jpg', { minShorterSide: 256 });
    expect([old.width, old.height]).toEqual([375, 500]);
    // No rule (a model file from before it): full size, exactly as before.
    expect((await decodeImageBuffer(bytes, 'big.jpg')).width).toBe(750);
  });

  it("box-reduces a large PNG by the rule's factor, from the frame the Node server decodes", async () => {
    const rgba = await sharp(await syntheticJpeg(0, 1, 1003, 751))
      .ensureAlpha(0.6)
      .png()
      .toBuffer();
    const rule = { minShorterSide: 256, scales: 'eighths', reduce: 'box' } as const;
    const image = await decodeImageBuffer(rgba, 'big.png', rule);
    // 751 / 2 rounds up to 376 >= 256; 3 would give 251.
    expect([image.width, image.height, image.channels]).toEqual([502, 376, 3]);
    const raw = await sharp(rgba).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const frame = { width: 1003, height: 751, channels: 4 as const, data: new Uint8Array(raw.data) };
    expect(Buffer.from(image.data).equals(Buffer.from(boxReduce(frame, 2).data))).toBe(true);
    // Without `reduce` (model files from before it): full size, as before.
    expect((await decodeImageBuffer(rgba, 'big.png', { minShorterSide: 256 })).width).toBe(1003);
  });

  it('flattens alpha onto white and applies EXIF orientation', async () => {
    // Fully transparent red PNG: flattening must give white, not red or black.
    const png = await sharp({
      create: { width: 4, height: 2, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const flat = await decodeImageBuffer(png);
    expect([...flat.data.slice(0, 3)]).toEqual([255, 255, 255]);
    // 40x20 stored with orientation 6 (rotate 90° clockwise to display): decoded as 20x40.
    const rotated = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#336699' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const upright = await decodeImageBuffer(rotated);
    expect([upright.width, upright.height]).toEqual([20, 40]);
  });

  it('decodes GIF, PNG, WebP, TIFF and AVIF by content, whatever the extension', async () => {
    const base = sharp({ create: { width: 16, height: 8, channels: 3, background: '#20a040' } });
    for (const format of ['gif', 'png', 'webp', 'tiff', 'avif'] as const) {
      const bytes = await base.clone().toFormat(format).toBuffer();
      const image = await decodeImageBuffer(bytes, `x.${format}.jpg`);
      expect([image.width, image.height], format).toEqual([16, 8]);
    }
  });

  it('reports a missing file as a decode error', async () => {
    await expect(decodeImageFile('/nonexistent/ferry.jpg')).rejects.toThrow(/cannot read file \(ENOENT\)/);
  });
});

describe.runIf(haveRealData('hymenopteraDir', 'decode: the GIF in ants/bees'))('real data', () => {
  it("decodes ants/bees' GIF placeholder like any image (Ferry judges files, not content)", async () => {
    const path = join(realData().hymenopteraDir!, 'train', 'ants', 'imageNotFound.gif');
    const { image } = await decodeImageFile(path);
    expect([image.width, image.height, image.channels]).toEqual([300, 300, 3]);
  });
});
