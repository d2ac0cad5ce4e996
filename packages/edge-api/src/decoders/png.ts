import type { Image } from '@ferry/core';
import { convertIndexedToRgb, decode } from 'fast-png';

/**
 * PNG in pure JS (fast-png), normalised to 8-bit RGB/RGBA: palette expanded (with tRNS alpha),
 * grey replicated, 16-bit reduced with v >> 8 as libvips does, sub-byte depths widened exactly.
 * The first frame only for APNG (fast-png's `decode` ignores animation chunks).
 */
export function decodePng(bytes: Uint8Array): Image {
  const png = decode(bytes, { checkCrc: true });
  const { width, height } = png;
  const pixels = width * height;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const channels = rgb.length === pixels * 4 ? 4 : 3;
    return { width, height, channels, data: rgb };
  }
  const src = png.data;
  const inChannels = png.channels;
  // 8-bit RGB/RGBA is already what the app wants: hand fast-png's array over instead of a copy
  // (a whole frame less at the peak, which is what bounds the Workers pixel limit).
  if (png.depth === 8 && (inChannels === 3 || inChannels === 4) && src instanceof Uint8Array) {
    return { width, height, channels: inChannels, data: src };
  }
  const hasAlpha = inChannels === 2 || inChannels === 4;
  const grey = inChannels <= 2;
  const outChannels = hasAlpha ? 4 : 3;
  const maxValue = 2 ** png.depth - 1;
  // Map any depth to 0..255 the way libvips does: drop the low byte of 16-bit samples; 1/2/4-bit
  // grey scales exactly (255 is a multiple of 1, 3 and 15).
  const to8 =
    png.depth === 8
      ? (v: number) => v
      : png.depth === 16
        ? (v: number) => v >> 8
        : (v: number) => (v * 255) / maxValue;
  const out = new Uint8Array(pixels * outChannels);
  for (let p = 0; p < pixels; p++) {
    const i = p * inChannels;
    const o = p * outChannels;
    if (grey) {
      const g = to8(src[i]!);
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
      if (hasAlpha) out[o + 3] = to8(src[i + 1]!);
    } else {
      out[o] = to8(src[i]!);
      out[o + 1] = to8(src[i + 1]!);
      out[o + 2] = to8(src[i + 2]!);
      if (hasAlpha) out[o + 3] = to8(src[i + 3]!);
    }
  }
  return { width, height, channels: outChannels, data: out };
}
