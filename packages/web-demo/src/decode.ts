/**
 * Browser decoding. Every JPEG (CMYK too) goes through the same wasm libjpeg-turbo as Workers, the
 * Node server, `ferry predict` and the trainer (@ferry/codec-jpeg), at the DCT scale the model's
 * decode rule asks for: a 12-MP phone photo is decoded straight to 504x378 (no 48 MB canvas), and
 * every JPEG to the very pixels the server and the trainer see (no ICC colour management, which
 * the canvas would apply); EXIF orientation is then applied by core, as on the server. Other
 * formats use the browser's own codecs (createImageBitmap, honouring EXIF orientation and ICC
 * profiles, as sharp does for those formats) into RGBA bytes, box-reduced by core as the decode
 * rule asks. Everything after this (resize, crop, normalize) is `core`'s. The train view's worker
 * decodes its photos here too.
 */
import { createJpegDecoder, type JpegDecoder } from '@ferry/codec-jpeg';
import jpegWasmUrl from '@ferry/codec-jpeg/wasm-url';
import {
  applyOrientation,
  boxReduce,
  boxReduceFactor,
  type DecodeRule,
  type Image,
  jpegScaleEighths,
  readImageHeader,
} from '@ferry/core';
import { UploadError } from './limits.js';

let jpegDecoder: Promise<JpegDecoder> | undefined;

/** The wasm JPEG decoder, compiled once (the site serves the .wasm beside the page's script). */
function loadJpegDecoder(): Promise<JpegDecoder> {
  jpegDecoder ??= (async () => {
    const response = await fetch(jpegWasmUrl);
    if (!response.ok) throw new Error(`${jpegWasmUrl}: HTTP ${response.status}`);
    return createJpegDecoder(await WebAssembly.compile(await response.arrayBuffer()));
  })();
  // A failed load is tried again on the next photo (a dropped connection must not stick).
  jpegDecoder.catch(() => {
    jpegDecoder = undefined;
  });
  return jpegDecoder;
}

/**
 * Decodes an upload; `rule` is the loaded model's decode rule (absent: full size, as model files
 * from before the rule expect).
 */
export async function decodeImage(
  blob: Blob,
  name = 'image',
  rule?: DecodeRule,
  options: { strict?: boolean } = {},
): Promise<Image> {
  return decodeImageBytes(new Uint8Array(await blob.arrayBuffer()), name, rule, options);
}

/** `decodeImage` for bytes already read (the train view's worker hashes them first). */
export async function decodeImageBytes(
  bytes: Uint8Array,
  name = 'image',
  rule?: DecodeRule,
  options: { strict?: boolean } = {},
): Promise<Image> {
  const header = readImageHeader(bytes);
  if (header?.format !== 'jpeg') {
    // Other formats: the browser's whole frame, then core's box reduction by the rule's factor,
    // as every runtime reduces them.
    const frame = await decodeWithCanvas(new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
    return boxReduce(frame, header ? boxReduceFactor(header.width, header.height, rule) : 1);
  }
  let decoder: JpegDecoder;
  try {
    decoder = await loadJpegDecoder();
  } catch (error) {
    throw new UploadError(
      `the JPEG decoder could not be loaded (${(error as Error).message}); reload the page.`,
    );
  }
  let decoded: Awaited<ReturnType<JpegDecoder['decode']>>;
  try {
    decoded = await decoder.decode(bytes, {
      eighths: jpegScaleEighths(header.width, header.height, rule),
      // Training is strict, as `ferry train` is: a cut-short JPEG is skipped, not half grey.
      ...(options.strict ? { strict: true } : {}),
    });
  } catch {
    throw new UploadError(`“${name}” could not be decoded; the file may be damaged or cut short.`);
  }
  const { width, height, data } = decoded;
  return applyOrientation({ width, height, channels: 3, data }, header.orientation);
}

async function decodeWithCanvas(blob: Blob, name: string): Promise<Image> {
  let bitmap: ImageBitmap;
  try {
    // premultiplyAlpha 'none' keeps translucent pixels' colours for core's own compositing.
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch {
    throw new UploadError(`“${name}” could not be decoded; the file may be damaged or cut short.`);
  }
  try {
    const { width, height } = bitmap;
    const canvas =
      typeof OffscreenCanvas !== 'undefined'
        ? new OffscreenCanvas(width, height)
        : Object.assign(document.createElement('canvas'), { width, height });
    const context = canvas.getContext('2d', { willReadFrequently: true }) as
      | OffscreenCanvasRenderingContext2D
      | CanvasRenderingContext2D
      | null;
    if (!context) throw new UploadError('this browser cannot read image pixels (no 2D canvas).');
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, width, height);
    return { width, height, channels: 4, data };
  } finally {
    bitmap.close();
  }
}
