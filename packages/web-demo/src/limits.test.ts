/**
 * The page's upload checks, on bytes made here: they decide which plain-words message a user
 * sees before anything is decoded.
 */
import { describe, expect, it } from 'vitest';
import { checkFileSize, checkUpload, MAX_PIXELS, MAX_UPLOAD_BYTES, UploadError } from './limits.js';

/** A minimal JPEG prefix: SOI, then a baseline SOF0 header with the given size. */
function jpegHeader(width: number, height: number): Uint8Array {
  const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03];
  return Uint8Array.from([0xff, 0xd8, ...sof, ...new Array(9).fill(0x11)]);
}

const message = (fn: () => void): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UploadError);
    return (error as Error).message;
  }
  throw new Error('expected an UploadError');
};

describe('checkUpload', () => {
  it('accepts an ordinary photo header', () => {
    expect(() => checkUpload('ok.jpg', jpegHeader(4032, 3024))).not.toThrow();
  });

  it('names the file and the reason', () => {
    expect(message(() => checkUpload('a.jpg', new Uint8Array(0)))).toBe('“a.jpg” is empty.');
    expect(message(() => checkUpload('notes.txt', new TextEncoder().encode('hello')))).toBe(
      '“notes.txt” is not an image. Use a JPEG, PNG, GIF or WebP photo.',
    );
    // JPEG magic but the header stops before the frame size.
    expect(message(() => checkUpload('cut.jpg', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00])))).toBe(
      '“cut.jpg” looks like an image but is damaged or cut short.',
    );
  });

  it('refuses decompression bombs from the header alone', () => {
    const side = Math.ceil(Math.sqrt(MAX_PIXELS)) + 1;
    expect(message(() => checkUpload('bomb.jpg', jpegHeader(side, side)))).toBe(
      `“bomb.jpg” is too large (${side} × ${side} pixels). The limit is ${MAX_PIXELS / 1e6} megapixels.`,
    );
  });

  it('refuses files over the byte limit, before and after reading them', () => {
    const tooBig = MAX_UPLOAD_BYTES + 1;
    expect(message(() => checkFileSize('big.jpg', tooBig))).toMatch(/^“big\.jpg” is too large \(20\.0 MB\)/);
    const bytes = new Uint8Array(tooBig);
    bytes.set(jpegHeader(10, 10));
    expect(message(() => checkUpload('big.jpg', bytes))).toMatch(/The limit is 20\.0 MB per photo\.$/);
    expect(() => checkFileSize('fine.jpg', MAX_UPLOAD_BYTES)).not.toThrow();
  });
});
