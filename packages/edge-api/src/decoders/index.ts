/**
 * Pure JS / WebAssembly decoders for runtimes without native code (Workers). Output is 8-bit
 * RGB or RGBA as stored; the app applies EXIF orientation and core flattens alpha.
 */
import type { DecodeRule, Image, ImageHeader } from '@ferry/core';
import { decodeGif } from './gif.js';
import { decodeJpeg } from './jpeg.js';
import { decodePng } from './png.js';
import { decodeWebp } from './webp.js';

export { decodeGif } from './gif.js';
export { decodeJpeg, initJpeg } from './jpeg.js';
export { decodePng } from './png.js';
export { decodeWebp, initWebp } from './webp.js';

/** A `DecodeImage` for `createApp` built from the JS/wasm codecs. */
export function createJsDecoder() {
  return async (bytes: Uint8Array, header: ImageHeader, rule?: DecodeRule): Promise<Image> => {
    switch (header.format) {
      case 'jpeg':
        return decodeJpeg(bytes, header, rule);
      case 'png':
        return decodePng(bytes);
      case 'gif':
        return decodeGif(bytes);
      case 'webp':
        return decodeWebp(bytes);
    }
  };
}
