// omggif ships no types; this covers the reader API the GIF decoder uses.
declare module 'omggif' {
  export class GifReader {
    constructor(buffer: Uint8Array);
    width: number;
    height: number;
    numFrames(): number;
    decodeAndBlitFrameRGBA(frameIndex: number, pixels: Uint8Array | Uint8ClampedArray): void;
  }
}
