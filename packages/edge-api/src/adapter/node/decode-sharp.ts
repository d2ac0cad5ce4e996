import { loadJpegDecoder } from '@ferry/codec-jpeg/node';
import {
  boxReduce,
  boxReduceFactor,
  type DecodeRule,
  type Image,
  type ImageHeader,
  jpegScaleEighths,
} from '@ferry/core';
import sharp from 'sharp';

/**
 * The Node server's decoder: every JPEG (CMYK too) goes through the same wasm libjpeg-turbo as
 * Workers, the browser and the trainer, at the DCT scale the model's decode rule asks for (full
 * size without one). sharp's shrink-on-load resizes after its own shrink, and sharp converts an
 * embedded ICC profile to sRGB where the other runtimes cannot, so its pixels would differ from
 * theirs. Other formats go through sharp, then core's box reduction by the rule's factor, as in
 * every runtime.
 */
export async function decodeUpload(
  bytes: Uint8Array,
  header: ImageHeader,
  rule: DecodeRule | undefined,
  maxPixels: number,
): Promise<Image> {
  if (header.format !== 'jpeg')
    return boxReduce(
      await decodeWithSharp(bytes, maxPixels),
      boxReduceFactor(header.width, header.height, rule),
    );
  const eighths = jpegScaleEighths(header.width, header.height, rule);
  const decoder = await loadJpegDecoder();
  const { width, height, data } = await decoder.decode(bytes, { eighths, strict: true });
  return { width, height, channels: 3, data };
}

/**
 * Everything but JPEGs (PNG, WebP, GIF) decodes with sharp (libvips),
 * as `ferry predict` and the trainer do, so the Node server and the CLI see identical pixels. Output is 8-bit sRGB(A) as stored: no EXIF
 * rotation here (the app applies it through core for every runtime), first frame only,
 * CMYK/16-bit/grey converted by libvips. `limitInputPixels` is a second guard after the
 * header check; `failOn: 'warning'` (sharp's default, spelled out) refuses truncated or corrupt
 * files, as the Workers decoders do, so both runtimes agree on what is bad.
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
