import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { haveRealData, realData } from '../../../../testing/real-data.js';
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
