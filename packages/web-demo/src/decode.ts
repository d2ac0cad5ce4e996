/**
 * Browser decoding: the browser's own codecs (createImageBitmap, honouring EXIF orientation)
 * into RGBA bytes. Everything after this (resize, crop, normalize) is `core`'s.
 */
import type { Image } from '@ferry/core';
import { UploadError } from './limits.js';

export async function decodeImage(blob: Blob, name = 'image'): Promise<Image> {
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
