/**
 * Image files -> core `Image` with sharp: EXIF orientation applied, alpha flattened on white (as
 * core's `toRgb` does), first frame of animations (GIF/WebP) — a GIF named `.jpg` decodes like
 * any other photo, since sharp sniffs content, not extensions. Failures become a typed error with
 * a one-line reason so the dataset summary can list them.
 */
import { readFile } from 'node:fs/promises';
import { CLI_MAX_PIXELS, type Image } from '@ferry/core';
import sharp from 'sharp';

/** Refuse decompression bombs: core's CLI limit (64 MP) is far above any photo a classifier needs. */
export const MAX_INPUT_PIXELS = CLI_MAX_PIXELS;

export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export async function decodeImageBuffer(bytes: Uint8Array, path = '<buffer>'): Promise<Image> {
  if (bytes.byteLength === 0) throw new DecodeError(path, 'empty file (0 bytes)');
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels after decoding`);
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    const reason = /unsupported image format/i.test(message)
      ? 'not an image (unsupported or unrecognised format)'
      : /pixel limit/i.test(message)
        ? `image too large (over ${MAX_INPUT_PIXELS / 1e6} megapixels)`
        : `cannot decode: ${message}`;
    throw new DecodeError(path, reason);
  }
}

export async function decodeImageFile(path: string): Promise<{ image: Image; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DecodeError(path, `cannot read file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return { image: await decodeImageBuffer(bytes, path), bytes };
}
