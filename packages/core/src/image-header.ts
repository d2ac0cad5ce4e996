/**
 * Reads format and dimensions from the first bytes of an image without decoding pixels, so a
 * server can refuse a 50000x50000 "decompression bomb" before allocating anything.
 */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** EXIF orientation (1..8) for JPEGs that carry one; 1 otherwise. */
  orientation: number;
  /** JPEG component count (3 YCbCr, 1 grey, 4 CMYK/YCCK) or PNG bit depth; informative. */
  components?: number;
  bitDepth?: number;
  /**
   * JPEG coded progressively (SOF2/6/10/14): libjpeg then holds every DCT coefficient of the
   * full-size image until the last scan, whatever the output scale (2 bytes per coefficient).
   */
  progressive?: boolean;
  /**
   * JPEG: bytes of DCT coefficients a progressive decode keeps until its last scan. `full`:
   * libjpeg's buffer (2 bytes per coefficient, every block of every component, in whole iMCUs),
   * at any scale but 1/8. `eighth`: Ferry's wasm at 1/8, which stores per block only the
   * coefficients its IDCT reads plus a nonzero bit for each other (codec-jpeg's
   * compact-coefficients patch). Absent when the frame header is cut short.
   */
  coefficientBytes?: { full: number; eighth: number };
  /** PNG stored Adam7-interlaced: its rows cannot be streamed, so it is decoded whole. */
  interlaced?: boolean;
  /**
   * WebP: how the (first) image is coded, which decides what a decode holds: VP8 'lossy' rows
   * stream; 'lossy+alpha' adds an alpha plane (ALPH); 'lossless' (VP8L) is decoded whole;
   * 'animated' is a first frame of either kind. Absent when the chunks are cut short.
   */
  webpCoding?: WebpCoding;
}

export type WebpCoding = 'lossy' | 'lossy+alpha' | 'lossless' | 'animated';

export const IMAGE_MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32be = (b: Uint8Array, i: number) =>
  ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/** Detects the format from magic bytes; null when it is none Ferry decodes. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && u32be(bytes, 0) === 0x89504e47 && u32be(bytes, 4) === 0x0d0a1a0a) return 'png';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return null;
}

function exifOrientation(b: Uint8Array, start: number, end: number): number {
  // start points at "Exif\0\0"; the TIFF header follows.
  const tiff = start + 6;
  if (tiff + 8 > end) return 1;
  const little = b[tiff] === 0x49;
  const r16 = (i: number) => (little ? u16le(b, i) : u16be(b, i));
  const r32 = (i: number) => (little ? (u16le(b, i) | (u16le(b, i + 2) << 16)) >>> 0 : u32be(b, i));
  const ifd = tiff + r32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const entries = r16(ifd);
  for (let e = 0; e < entries; e++) {
    const entry = ifd + 2 + e * 12;
    if (entry + 12 > end) break;
    if (r16(entry) === 0x0112) {
      const value = r16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * What a progressive decode's coefficient store holds (jdcoefct.c): per component, its blocks
 * across and down (the image at that component's sampling, in 8x8 blocks) rounded up to whole
 * iMCUs; 128 bytes a block in libjpeg's buffer. At 1/8 the wasm keeps per block the coefficients
 * its IDCT reads (2 bytes each) and 8 bytes of nonzero bits: the IDCT's size doubles from 1 while
 * the largest sampling factors stay multiples of twice the component's scaled ones (jdmaster.c),
 * and a 1x1 IDCT reads 1 coefficient, a 2x2 one 25 (jidctred.c), larger ones all 64, unpacked.
 */
function jpegCoefficientBytes(
  b: Uint8Array,
  segment: number,
  width: number,
  height: number,
  components: number,
): ImageHeader['coefficientBytes'] {
  if (segment + 6 + 3 * components > b.length) return undefined;
  const factors = Array.from({ length: components }, (_, c) => b[segment + 6 + 3 * c + 1]!);
  const hMax = Math.max(...factors.map((f) => f >> 4));
  const vMax = Math.max(...factors.map((f) => f & 15));
  let full = 0;
  let eighth = 0;
  for (const f of factors) {
    const h = f >> 4;
    const v = f & 15;
    const across = Math.ceil(Math.ceil((width * h) / hMax) / 8);
    const down = Math.ceil(Math.ceil((height * v) / vMax) / 8);
    const blocks = Math.ceil(across / h) * h * Math.ceil(down / v) * v;
    let size = 1;
    while (size < 8 && hMax % (h * size * 2) === 0 && vMax % (v * size * 2) === 0) size *= 2;
    full += blocks * 128;
    eighth += blocks * (size === 1 ? 2 + 8 : size === 2 ? 25 * 2 + 8 : 128);
  }
  return { full, eighth };
}

function jpegHeader(b: Uint8Array): ImageHeader | null {
  let i = 2;
  let orientation = 1;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const length = u16be(b, i + 2);
    if (length < 2) return null;
    const segment = i + 4;
    if (marker === 0xe1 && segment + 6 <= b.length && ascii(b, segment, 4) === 'Exif') {
      orientation = exifOrientation(b, segment, Math.min(b.length, i + 2 + length));
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (segment + 6 > b.length) return null;
      const width = u16be(b, segment + 3);
      const height = u16be(b, segment + 1);
      const components = b[segment + 5]!;
      const coefficientBytes = jpegCoefficientBytes(b, segment, width, height, components);
      return {
        format: 'jpeg',
        bitDepth: b[segment]!,
        height,
        width,
        components,
        orientation,
        ...((marker & 0x03) === 0x02 ? { progressive: true } : {}),
        ...(coefficientBytes !== undefined ? { coefficientBytes } : {}),
      };
    }
    if (marker === 0xda || marker === 0xd9) return null;
    i += 2 + length;
  }
  return null;
}

/**
 * Format, size and orientation from the header, or null when the bytes are not a supported
 * image or the header is cut short. Never reads pixel data.
 */
/**
 * An extended WebP's coding (VP8X, RIFF container spec): animated by its flag; otherwise the
 * chunks after VP8X (ICCP, ALPH, ...) are walked to the image's: an ALPH chunk before a 'VP8 '
 * one is lossy+alpha, 'VP8L' lossless.
 */
function webpExtendedCoding(b: Uint8Array): WebpCoding | undefined {
  if (b[20]! & 0x02) return 'animated';
  let alpha = false;
  for (let at = 30; at + 8 <= b.length; ) {
    const chunk = ascii(b, at, 4);
    if (chunk === 'ALPH') alpha = true;
    else if (chunk === 'VP8 ') return alpha ? 'lossy+alpha' : 'lossy';
    else if (chunk === 'VP8L') return 'lossless';
    const size = (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) >>> 0;
    at += 8 + size + (size & 1);
  }
  return undefined;
}

export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const format = sniffImageFormat(bytes);
  switch (format) {
    case 'jpeg':
      return jpegHeader(bytes);
    case 'png':
      if (bytes.length < 26 || ascii(bytes, 12, 4) !== 'IHDR') return null;
      return {
        format,
        width: u32be(bytes, 16),
        height: u32be(bytes, 20),
        bitDepth: bytes[24]!,
        orientation: 1,
        ...(bytes[28] === 1 ? { interlaced: true } : {}),
      };
    case 'gif':
      if (bytes.length < 10) return null;
      return { format, width: u16le(bytes, 6), height: u16le(bytes, 8), orientation: 1 };
    case 'webp': {
      if (bytes.length < 30) return null;
      const chunk = ascii(bytes, 12, 4);
      if (chunk === 'VP8 ')
        return {
          format,
          width: u16le(bytes, 26) & 0x3fff,
          height: u16le(bytes, 28) & 0x3fff,
          orientation: 1,
          webpCoding: 'lossy',
        };
      if (chunk === 'VP8L') {
        const bits = (bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24)) >>> 0;
        return {
          format,
          width: (bits & 0x3fff) + 1,
          height: ((bits >> 14) & 0x3fff) + 1,
          orientation: 1,
          webpCoding: 'lossless',
        };
      }
      if (chunk === 'VP8X') {
        const coding = webpExtendedCoding(bytes);
        return {
          format,
          width: u24le(bytes, 24) + 1,
          height: u24le(bytes, 27) + 1,
          orientation: 1,
          ...(coding ? { webpCoding: coding } : {}),
        };
      }
      return null;
    }
    default:
      return null;
  }
}
