/**
 * Image files -> core `Image`. Every JPEG (CMYK included) is decoded by @ferry/codec-jpeg's wasm
 * libjpeg-turbo — the decoder the edge API (Workers and Node) and the browser use — at the DCT
 * scale the decode rule asks for (core's decode-scale.ts; full size without a rule), so training,
 * `ferry predict` and serving see the same pixels. (sharp would convert a JPEG's embedded ICC
 * profile to sRGB where Workers and the browser cannot: 35 of the 1,357 ants/bees and flower
 * photos decoded differently.) Other formats go through sharp: EXIF orientation applied, alpha
 * flattened on white (as core's `toRgb` does), first frame of animations — a GIF named `.jpg`
 * decodes like any other photo, since the header is sniffed, not the extension. Failures become a
 * typed error with a one-line reason so the dataset summary can list them.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { JPEG_DECODER_ID, loadJpegDecoder } from '@ferry/codec-jpeg/node';
import {
  applyOrientation,
  boxReduce,
  boxReduceFactor,
  CLI_MAX_PIXELS,
  type DecodeRule,
  type Image,
  type ImageHeader,
  jpegScaleEighths,
  readImageHeader,
} from '@ferry/core';
import { loadSharp } from '../commonjs-packages.js';

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

/**
 * What turns a photo's bytes into pixels here: part of every cache key over decoded pixels (the
 * feature cache), so pixels of one decoder build are never reused under another.
 */
export function decoderIdentity(): { jpeg: string; other: string } {
  // sharp's package.json is not in its exports: found beside the file `require` resolves.
  const sharpMain = createRequire(import.meta.url).resolve('sharp');
  const sharpPackage = JSON.parse(readFileSync(join(dirname(sharpMain), '..', 'package.json'), 'utf8'));
  return { jpeg: JPEG_DECODER_ID, other: `sharp@${sharpPackage.version as string}` };
}

/** A JPEG through libjpeg-turbo (EXIF orientation applied). */
async function decodeJpegWithLibjpeg(
  bytes: Uint8Array,
  header: ImageHeader,
  rule: DecodeRule | undefined,
): Promise<Image> {
  if (header.width * header.height > MAX_INPUT_PIXELS)
    throw new Error(`pixel limit: ${header.width}x${header.height}`);
  const eighths = jpegScaleEighths(header.width, header.height, rule);
  const decoder = await loadJpegDecoder();
  // Strict, as the edge API is: a truncated or corrupt JPEG is skipped with libjpeg's reason.
  const { width, height, data } = await decoder.decode(bytes, { eighths, strict: true });
  return applyOrientation({ width, height, channels: 3, data }, header.orientation);
}

/**
 * A PNG, WebP or GIF larger than the decode rule needs, box-reduced by core (box-reduce.ts) from
 * exactly the frame the Node server gets from sharp (8-bit sRGB(A) as stored, first frame, no
 * EXIF rotation, alpha flattened on white by the reducer), so the trainer, `ferry predict`, Node,
 * Workers and the page reduce the same pixels to the same bytes.
 */
async function decodeReducedWithSharp(bytes: Uint8Array, factor: number): Promise<Image> {
  const { data, info } = await loadSharp()(bytes, {
    failOn: 'error',
    limitInputPixels: MAX_INPUT_PIXELS,
    pages: 1,
  })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4)
    throw new Error(`unexpected ${info.channels} channels after decoding`);
  const frame: Image = {
    width: info.width,
    height: info.height,
    channels: info.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
  return boxReduce(frame, factor);
}

export async function decodeImageBuffer(
  bytes: Uint8Array,
  path = '<buffer>',
  rule?: DecodeRule,
): Promise<Image> {
  if (bytes.byteLength === 0) throw new DecodeError(path, 'empty file (0 bytes)');
  try {
    const header = readImageHeader(bytes);
    if (header?.format === 'jpeg') return await decodeJpegWithLibjpeg(bytes, header, rule);
    const factor = header ? boxReduceFactor(header.width, header.height, rule) : 1;
    if (factor > 1) return await decodeReducedWithSharp(bytes, factor);
    // Loaded on first use: a run whose photos are all JPEGs never loads libvips.
    const sharp = loadSharp();
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

export async function decodeImageFile(
  path: string,
  rule?: DecodeRule,
): Promise<{ image: Image; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DecodeError(path, `cannot read file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return { image: await decodeImageBuffer(bytes, path, rule), bytes };
}
