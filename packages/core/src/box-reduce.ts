/**
 * The reduction for formats without DCT scaling (PNG, WebP, GIF): an integer box average, the
 * decode rule's `reduce: 'box'` (decode-scale.ts picks the factor). Integer arithmetic only, so
 * every runtime that decodes the same pixels reduces them to the same bytes: the trainer and
 * `ferry predict` (sharp), the Node server (sharp), Workers (a PNG streamed row by row, so a
 * 24-MP screenshot never exists as a frame) and the page (its canvas).
 *
 * Each output pixel averages the k x k box of input pixels it covers (fewer at the right and
 * bottom edges when a side is not a multiple of k), rounded half up. Translucent pixels are first
 * flattened on white exactly as `toRgb` does, so the output is RGB. Rows are pushed top to bottom
 * in stored orientation; EXIF orientation is applied after, as for JPEGs.
 */
import { boxReducedSize } from './decode-scale.js';
import { flattenChannel, type Image } from './image.js';

export interface BoxReducer {
  /** The next input row: `width * channels` bytes, RGB or RGBA (straight alpha). */
  push(row: Uint8Array | Uint8ClampedArray): void;
  /** The reduced RGB image, once every row was pushed. */
  finish(): Image;
}

export function createBoxReducer(width: number, height: number, channels: 3 | 4, factor: number): BoxReducer {
  if (!Number.isInteger(factor) || factor < 1)
    throw new RangeError(`box factor must be a positive integer, got ${factor}`);
  const out = boxReducedSize(width, height, factor);
  const data = new Uint8Array(out.width * out.height * 3);
  const sums = new Uint32Array(out.width * 3);
  let y = 0;
  let band = 0; // output row being summed
  let rowsInBand = 0;

  const emit = () => {
    const base = band * out.width * 3;
    for (let ox = 0; ox < out.width; ox++) {
      const boxWidth = Math.min(factor, width - ox * factor);
      const count = boxWidth * rowsInBand;
      for (let c = 0; c < 3; c++) {
        const i = ox * 3 + c;
        data[base + i] = Math.floor((2 * sums[i]! + count) / (2 * count));
      }
    }
    sums.fill(0);
    band++;
    rowsInBand = 0;
  };

  return {
    push(row) {
      if (y >= height) throw new RangeError(`more than ${height} rows pushed`);
      if (row.length < width * channels)
        throw new RangeError(`row ${y} has ${row.length} bytes, needs ${width * channels}`);
      addRow(sums, row, width, channels, factor);
      y++;
      rowsInBand++;
      if (rowsInBand === factor || y === height) emit();
    },
    finish() {
      if (y !== height) throw new RangeError(`${y} of ${height} rows pushed`);
      return { width: out.width, height: out.height, channels: 3, data };
    },
  };
}

/**
 * Adds one row's pixels to the sums of the output row's boxes. A module function (not a closure
 * per reducer) so V8 optimises it once for every decode, and each box's row segment is summed in
 * locals: a 24-MP screenshot is 24 M pixels through here.
 */
function addRow(
  sums: Uint32Array,
  row: Uint8Array | Uint8ClampedArray,
  width: number,
  channels: 3 | 4,
  factor: number,
): void {
  for (let x0 = 0, s = 0; x0 < width; x0 += factor, s += 3) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let i = x0 * channels, end = Math.min(width, x0 + factor) * channels; i < end; i += channels) {
      const a = channels === 4 ? row[i + 3]! : 255;
      if (a === 255) {
        r += row[i]!;
        g += row[i + 1]!;
        b += row[i + 2]!;
      } else {
        // toRgb's flattening on white, per pixel, before averaging.
        r += flattenChannel(row[i]!, a);
        g += flattenChannel(row[i + 1]!, a);
        b += flattenChannel(row[i + 2]!, a);
      }
    }
    sums[s] = sums[s]! + r;
    sums[s + 1] = sums[s + 1]! + g;
    sums[s + 2] = sums[s + 2]! + b;
  }
}

/** A decoded image reduced by `factor`; factor 1 returns the image itself (as full-size decodes do). */
export function boxReduce(image: Image, factor: number): Image {
  if (factor === 1) return image;
  if (image.channels !== 3 && image.channels !== 4)
    throw new RangeError(`box reduction needs RGB or RGBA, got ${image.channels} channels`);
  const reducer = createBoxReducer(image.width, image.height, image.channels, factor);
  const stride = image.width * image.channels;
  for (let y = 0; y < image.height; y++) reducer.push(image.data.subarray(y * stride, (y + 1) * stride));
  return reducer.finish();
}
