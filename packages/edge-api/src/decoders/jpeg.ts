import type { Image } from '@ferry/core';
import { decode } from 'jpeg-js';

/**
 * Baseline and progressive JPEG in pure JS (jpeg-js). Always asks for RGBA: that is the path
 * where jpeg-js converts greyscale and CMYK/YCCK (Adobe) to RGB; alpha is then 255 everywhere.
 * `tolerantDecoding: false` makes truncated files fail (as libvips does) instead of coming
 * back half grey.
 */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): Image {
  const decoded = decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    tolerantDecoding: false,
    maxResolutionInMP: maxPixels / 1e6,
    maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / 2 ** 20) + 64,
  });
  return { width: decoded.width, height: decoded.height, channels: 4, data: decoded.data };
}
