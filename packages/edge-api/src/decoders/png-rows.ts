import { createBoxReducer, type Image } from '@ferry/core';
import { Unzlib } from 'fflate';

/**
 * A non-interlaced PNG decoded row by row into core's box reducer: the compressed data is
 * inflated as a stream (fflate), each scanline unfiltered against the one before it and turned
 * into 8-bit RGB/RGBA exactly as `decodePng` does (palette expanded with tRNS alpha, grey
 * replicated, 16-bit as v >> 8, sub-byte depths widened), then added to the reduced frame. What is
 * held is two scanlines and the reduced frame, never the full one: a 24-MP screenshot costs a
 * few hundred KB. Interlaced PNGs (Adam7) cannot be read this way: `decodePng` decodes them whole.
 */
export function decodePngReduced(bytes: Uint8Array, factor: number): Image {
  const png = readChunks(bytes);
  const { width, height, depth, colorType } = png;
  const samples = colorType === 2 ? 3 : colorType === 4 ? 2 : colorType === 6 ? 4 : 1;
  const stride = Math.ceil((width * samples * depth) / 8);
  const bpp = Math.max(1, (samples * depth) >> 3);
  const outChannels: 3 | 4 =
    colorType === 4 || colorType === 6 || (colorType === 3 && png.transparency) ? 4 : 3;
  const toRow = rowConverter(png, width, outChannels);
  const reducer = createBoxReducer(width, height, outChannels, factor);

  let previous = new Uint8Array(stride);
  let current = new Uint8Array(stride);
  const rgb = new Uint8Array(width * outChannels);
  let filled = -1; // bytes of `current` filled; -1: the filter-type byte is next
  let filter = 0;
  let y = 0;
  const inflater = new Unzlib((chunk) => {
    let at = 0;
    while (at < chunk.length && y < height) {
      if (filled < 0) {
        filter = chunk[at++]!;
        if (filter > 4) throw new Error(`PNG row ${y}: unknown filter type ${filter}`);
        filled = 0;
        continue;
      }
      const take = Math.min(stride - filled, chunk.length - at);
      current.set(chunk.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled < stride) break;
      unfilter(filter, current, previous, bpp);
      toRow(current, rgb);
      reducer.push(rgb);
      [previous, current] = [current, previous];
      filled = -1;
      y++;
    }
  });
  // fflate inflates all it is given before handing anything on, and flat screenshots compress
  // up to 1000:1: the data goes in small slices so the output in hand stays a few MB at most.
  for (let i = 0; i < png.data.length; i++) {
    const idat = png.data[i]!;
    for (let at = 0; at < idat.length; at += INFLATE_SLICE)
      inflater.push(
        idat.subarray(at, at + INFLATE_SLICE),
        i === png.data.length - 1 && at + INFLATE_SLICE >= idat.length,
      );
  }
  if (y < height) throw new Error(`PNG data ends after ${y} of ${height} rows`);
  return reducer.finish();
}

/** Compressed bytes handed to the inflater at a time (at most ~4 MB of output each). */
const INFLATE_SLICE = 4096;

interface PngChunks {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
  palette?: Uint8Array;
  transparency?: Uint8Array;
  /** The IDAT chunks' data, in order (views into the file). */
  data: Uint8Array[];
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The chunks the rows need, each CRC-checked as fast-png's `checkCrc` does. */
function readChunks(bytes: Uint8Array): PngChunks {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let header: Omit<PngChunks, 'data'> | undefined;
  const data: Uint8Array[] = [];
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw new Error(`PNG chunk ${type} runs past the end of the file`);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length))
      throw new Error(`PNG chunk ${type}: CRC mismatch`);
    if (type === 'IHDR') {
      header = {
        width: view.getUint32(at + 8),
        height: view.getUint32(at + 12),
        depth: body[8]!,
        colorType: body[9]!,
        interlaced: body[12] === 1,
      };
    } else if (type === 'PLTE' && header) header.palette = body;
    else if (type === 'tRNS' && header) header.transparency = body;
    else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header) throw new Error('PNG has no IHDR chunk');
  if (data.length === 0) throw new Error('PNG has no image data');
  if (header.colorType === 3 && !header.palette) throw new Error('indexed PNG without a palette');
  return { ...header, data };
}

/** PNG's five scanline filters, undone in place (`previous` is the unfiltered row above). */
function unfilter(filter: number, row: Uint8Array, previous: Uint8Array, bpp: number): void {
  const n = row.length;
  switch (filter) {
    case 1:
      for (let i = bpp; i < n; i++) row[i] = (row[i]! + row[i - bpp]!) & 255;
      break;
    case 2:
      for (let i = 0; i < n; i++) row[i] = (row[i]! + previous[i]!) & 255;
      break;
    case 3:
      for (let i = 0; i < bpp; i++) row[i] = (row[i]! + (previous[i]! >> 1)) & 255;
      for (let i = bpp; i < n; i++) row[i] = (row[i]! + ((row[i - bpp]! + previous[i]!) >> 1)) & 255;
      break;
    case 4:
      for (let i = 0; i < bpp; i++) row[i] = (row[i]! + previous[i]!) & 255;
      for (let i = bpp; i < n; i++) {
        const a = row[i - bpp]!;
        const b = previous[i]!;
        const c = previous[i - bpp]!;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        row[i] = (row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
      break;
    default:
      break;
  }
}

/** One unfiltered scanline to 8-bit RGB or RGBA, as `decodePng` converts whole frames. */
function rowConverter(
  png: PngChunks,
  width: number,
  outChannels: 3 | 4,
): (row: Uint8Array, out: Uint8Array) => void {
  const { depth, colorType, palette, transparency } = png;
  // The sample at index i of a row, widened to 8 bits (16-bit: the high byte, as libvips does).
  const sample =
    depth === 8
      ? (row: Uint8Array, i: number) => row[i]!
      : depth === 16
        ? (row: Uint8Array, i: number) => row[2 * i]!
        : (row: Uint8Array, i: number) => {
            const perByte = 8 / depth;
            const shift = 8 - depth * ((i % perByte) + 1);
            return (row[Math.floor(i / perByte)]! >> shift) & ((1 << depth) - 1);
          };
  if (colorType === 3) {
    const entries = palette!.length / 3;
    return (row, out) => {
      for (let x = 0; x < width; x++) {
        const index = sample(row, x);
        const o = x * outChannels;
        if (index >= entries) throw new Error(`PNG palette index ${index} out of range`);
        out[o] = palette![3 * index]!;
        out[o + 1] = palette![3 * index + 1]!;
        out[o + 2] = palette![3 * index + 2]!;
        if (outChannels === 4) out[o + 3] = index < transparency!.length ? transparency![index]! : 255;
      }
    };
  }
  const max = 2 ** depth - 1;
  const to8 = depth < 8 ? (v: number) => (v * 255) / max : (v: number) => v;
  const samples = colorType === 2 ? 3 : colorType === 4 ? 2 : colorType === 6 ? 4 : 1;
  return (row, out) => {
    for (let x = 0; x < width; x++) {
      const i = x * samples;
      const o = x * outChannels;
      if (samples <= 2) {
        const g = to8(sample(row, i));
        out[o] = g;
        out[o + 1] = g;
        out[o + 2] = g;
        if (outChannels === 4) out[o + 3] = sample(row, i + 1);
      } else {
        out[o] = sample(row, i);
        out[o + 1] = sample(row, i + 1);
        out[o + 2] = sample(row, i + 2);
        if (outChannels === 4) out[o + 3] = sample(row, i + 3);
      }
    }
  };
}
