import type { Image } from '@ferry/core';
import { GifReader } from 'omggif';

/** GIF in pure JS (omggif): the first frame of animations, transparency as alpha 0. */
export function decodeGif(bytes: Uint8Array): Image {
  const reader = new GifReader(bytes);
  if (reader.numFrames() < 1) throw new Error('GIF has no frames');
  const data = new Uint8Array(reader.width * reader.height * 4);
  reader.decodeAndBlitFrameRGBA(0, data);
  return { width: reader.width, height: reader.height, channels: 4, data };
}
