import type { Image } from '@ferry/core';
import sharp from 'sharp';

/**
 * Node decodes with sharp (libvips), the decoder `ferry predict` and the trainer use, so the
 * Node server and the CLI see identical pixels. Output is 8-bit sRGB(A) as stored: no EXIF
 * rotation here (the app applies it through core for every runtime), first frame only,
 * CMYK/16-bit/grey converted by libvips. `limitInputPixels` is a second guard after the
 * header check; `failOn: 'warning'` (sharp's default, spelled out) refuses truncated or corrupt
 * files, as the strict jpeg-js settings in Workers do, so both runtimes agree on what is bad.
 */
export async function decodeWithSharp(bytes: Uint8Array, maxPixels: number): Promise<Image> {
  const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'warning', pages: 1 })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4) {
    throw new Error(`sharp returned ${info.channels} channels`);
  }
  return {
    width: info.width,
    height: info.height,
    channels: info.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
