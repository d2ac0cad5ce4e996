import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPythonModules, runPython } from '@ferry/fixtures/python';
import { afterAll, describe, expect, it } from 'vitest';
import { readImageHeader, sniffImageFormat } from './image-header.js';

describe('sniffImageFormat', () => {
  it('recognises magic bytes and nothing else', () => {
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a......'))).toBe('gif');
    expect(sniffImageFormat(new TextEncoder().encode('<!doctype html>'))).toBeNull();
    expect(sniffImageFormat(new Uint8Array(0))).toBeNull();
  });

  it('reads a crafted 50000x50000 PNG header without any pixel data', () => {
    const png = new Uint8Array(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(png.buffer).setUint32(16, 50000);
    new DataView(png.buffer).setUint32(20, 50000);
    png[24] = 8;
    png[25] = 2;
    expect(readImageHeader(png)).toMatchObject({ format: 'png', width: 50000, height: 50000, bitDepth: 8 });
    expect(readImageHeader(png.subarray(0, 20))).toBeNull();
  });
});

describe('coefficientBytes of a progressive JPEG', () => {
  /** SOI + a progressive frame header (SOF2) of `width` x `height` with these sampling factors. */
  const sof2 = (width: number, height: number, factors: number[]) =>
    Uint8Array.from([
      0xff,
      0xd8,
      0xff,
      0xc2,
      0,
      8 + 3 * factors.length,
      8,
      height >> 8,
      height & 255,
      width >> 8,
      width & 255,
      factors.length,
      ...factors.flatMap((f, i) => [i + 1, f, 0]),
    ]);

  it("counts libjpeg's buffer (128 bytes a block) and, at 1/8, only what the IDCTs read", () => {
    // 4032x3024 4:2:0: luma 504x378 blocks, each chroma 252x189. libjpeg: 128 bytes each. At 1/8:
    // luma's 1x1 IDCT reads the DC (2 bytes + 8 of nonzero bits), chroma's 2x2 25 coefficients.
    expect(readImageHeader(sof2(4032, 3024, [0x22, 0x11, 0x11]))?.coefficientBytes).toEqual({
      full: (190_512 + 2 * 47_628) * 128,
      eighth: 190_512 * 10 + 2 * 47_628 * 58,
    });
    // 4:4:4 and grey: every component full resolution, 1x1 at 1/8. Blocks round up to whole iMCUs.
    expect(readImageHeader(sof2(1001, 99, [0x11, 0x11, 0x11]))?.coefficientBytes).toEqual({
      full: 3 * 126 * 13 * 128,
      eighth: 3 * 126 * 13 * 10,
    });
    expect(readImageHeader(sof2(640, 480, [0x11]))?.coefficientBytes).toEqual({
      full: 80 * 60 * 128,
      eighth: 80 * 60 * 10,
    });
  });
});

describe.runIf(hasPythonModules(['PIL'], 'image headers of files written by Pillow'))(
  'readImageHeader on Pillow-written files',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-header-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    runPython(
      `
import sys
from PIL import Image
d = sys.argv[1]
im = Image.new('RGB', (321, 123), (200, 30, 40))
exif = Image.Exif(); exif[0x0112] = 6
im.save(f'{d}/rotated.jpg', exif=exif.tobytes())
im.save(f'{d}/plain.jpg', progressive=True)
im.convert('L').save(f'{d}/grey.jpg')
im.convert('CMYK').save(f'{d}/cmyk.jpg')
im.save(f'{d}/img.png'); im.save(f'{d}/img.gif'); im.save(f'{d}/lossy.webp', lossless=False); im.save(f'{d}/lossless.webp', lossless=True)
rgba = im.convert('RGBA'); rgba.putalpha(128)
rgba.save(f'{d}/alpha.webp', lossless=False, exif=exif.tobytes())
im.save(f'{d}/animated.webp', save_all=True, append_images=[Image.new('RGB', (321, 123), (20, 90, 200))], duration=100)
`,
      [dir],
    );
    const read = (f: string) => readImageHeader(readFileSync(join(dir, f)));

    it.each([
      ['rotated.jpg', { format: 'jpeg', orientation: 6, components: 3 }],
      ['plain.jpg', { format: 'jpeg', orientation: 1 }],
      ['grey.jpg', { format: 'jpeg', components: 1 }],
      ['cmyk.jpg', { format: 'jpeg', components: 4 }],
      ['img.png', { format: 'png' }],
      ['img.gif', { format: 'gif' }],
      ['lossy.webp', { format: 'webp', webpCoding: 'lossy' }],
      ['lossless.webp', { format: 'webp', webpCoding: 'lossless' }],
      // Extended (VP8X) files: an ALPH chunk before the VP8 one; the animation flag.
      ['alpha.webp', { format: 'webp', webpCoding: 'lossy+alpha' }],
      ['animated.webp', { format: 'webp', webpCoding: 'animated' }],
    ])('%s', (file, expected) => {
      expect(read(file)).toMatchObject({ width: 321, height: 123, ...expected });
    });

    it('marks progressive JPEGs (Pillow writes SOF2) and only them', () => {
      expect(read('plain.jpg')?.progressive).toBe(true);
      expect(read('rotated.jpg')?.progressive).toBeUndefined();
    });

    it('returns null for a JPEG cut before its frame header', () => {
      expect(readImageHeader(readFileSync(join(dir, 'rotated.jpg')).subarray(0, 30))).toBeNull();
    });
  },
);
