/**
 * Pure JS / WebAssembly decoders for runtimes without native code (Workers). Output is 8-bit
 * RGB or RGBA as stored; the app applies EXIF orientation and core flattens alpha.
 */
import { boxReduce, boxReduceFactor, type DecodeRule, type Image, type ImageHeader } from '@ferry/core';
import type { DecodeImage } from '../classify.js';
import { pngStreamsRows } from '../image-input.js';
import { decodeGif } from './gif.js';
import { decodeJpeg } from './jpeg.js';
import { decodePng } from './png.js';
import { decodePngReduced } from './png-rows.js';
import { decodeWebp } from './webp.js';

export { decodeGif } from './gif.js';
export { decodeJpeg, initJpeg } from './jpeg.js';
export { decodePng } from './png.js';
export { decodePngReduced, initPng } from './png-rows.js';
export { decodeWebp, initWebp } from './webp.js';

/**
 * A `DecodeImage` for `createApp` built from the JS/wasm codecs. JPEGs decode at the rule's DCT
 * scale; other formats are box-reduced by the rule's factor (core's box-reduce.ts): a PNG row by
 * row as it inflates (unless interlaced), a WebP row by row as libwebp decodes it, a GIF from its
 * whole frame.
 */
export function createJsDecoder(): DecodeImage &
  ((bytes: Uint8Array, header: ImageHeader, rule?: DecodeRule) => Promise<Image>) {
  const decode = async (bytes: Uint8Array, header: ImageHeader, rule?: DecodeRule): Promise<Image> => {
    if (header.format === 'jpeg') return decodeJpeg(bytes, header, rule);
    const factor = boxReduceFactor(header.width, header.height, rule);
    switch (header.format) {
      case 'png':
        if (pngStreamsRows(header, rule)) return decodePngReduced(bytes, factor);
        return boxReduce(decodePng(bytes), factor);
      case 'gif':
        return boxReduce(decodeGif(bytes), factor);
      case 'webp':
        return decodeWebp(bytes, factor);
    }
  };
  return Object.assign(decode, { streamsRows: true });
}
