import { loadJpegDecoder } from '@ferry/codec-jpeg/node';
import { type DecodeRule, type Image, type ImageHeader, jpegScaleDenominator } from '@ferry/core';
import sharp from 'sharp';

/**
 * The Node server's decoder: JPEGs the model's decode rule shrinks go through the same wasm
 * libjpeg-turbo with DCT-domain scaling as Workers and the browser (sharp's shrink-on-load
 * resizes after its own shrink, so its pixels would differ from theirs); everything else, and
 * every image of a model without the rule, goes through sharp at full size as before.
 */
export async function decodeUpload(
  bytes: Uint8Array,
  header: ImageHeader,
  rule: DecodeRule | undefined,
  maxPixels: number,
): Promise<Image> {
  const denominator = jpegScaleDenominator(header.width, header.height, rule);
  if (header.format === 'jpeg' && header.components !== 4 && denominator > 1) {
    const decoder = await loadJpegDecoder();
    if (decoder) {
      const { width, height, data } = await decoder.decode(bytes, { denominator, strict: true });
      return { width, height, channels: 3, data };
    }
  }
  return decodeWithSharp(bytes, maxPixels);
}

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
