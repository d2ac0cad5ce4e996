import { assertImage, type Image } from '../image.js';
import { type Random, shuffleInPlace } from '../random.js';

export interface ColorJitterOptions {
  /** Brightness factor drawn from [max(0, 1 - b), 1 + b]. */
  brightness?: number;
  /** Contrast factor drawn from [max(0, 1 - c), 1 + c]. */
  contrast?: number;
  /** Saturation factor drawn from [max(0, 1 - s), 1 + s]. */
  saturation?: number;
  /** Hue shift drawn from [-h, h], as a fraction of the colour wheel; h <= 0.5. */
  hue?: number;
}

const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
const luma = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;

function blend(image: Image, factor: number, other: (i: number) => number): Image {
  const { data, channels: ch } = image;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += ch) {
    for (let c = 0; c < 3; c++) out[i + c] = clampByte(factor * data[i + c]! + (1 - factor) * other(i + c));
    if (ch === 4) out[i + 3] = data[i + 3]!;
  }
  return { ...image, data: out };
}

export function adjustBrightness(image: Image, factor: number): Image {
  return blend(image, factor, () => 0);
}

export function adjustContrast(image: Image, factor: number): Image {
  const { data, channels: ch } = image;
  let sum = 0;
  for (let i = 0; i < data.length; i += ch) sum += luma(data[i]!, data[i + 1]!, data[i + 2]!);
  const mean = sum / (data.length / ch);
  return blend(image, factor, () => mean);
}

export function adjustSaturation(image: Image, factor: number): Image {
  const { data, channels: ch } = image;
  return blend(image, factor, (i) => {
    const p = i - (i % ch);
    return luma(data[p]!, data[p + 1]!, data[p + 2]!);
  });
}

/** Rotates hue by `shift` turns (-0.5..0.5) through HSV, keeping saturation and value. */
export function adjustHue(image: Image, shift: number): Image {
  const { data, channels: ch } = image;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += ch) {
    const r = data[i]! / 255;
    const g = data[i + 1]! / 255;
    const b = data[i + 2]! / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    let h = 0;
    if (delta > 0) {
      if (max === r) h = ((g - b) / delta) % 6;
      else if (max === g) h = (b - r) / delta + 2;
      else h = (r - g) / delta + 4;
      h /= 6;
    }
    h = (((h + shift) % 1) + 1) % 1;
    const s = max === 0 ? 0 : delta / max;
    const v = max;
    const sector = Math.floor(h * 6);
    const f = h * 6 - sector;
    const p = v * (1 - s);
    const q = v * (1 - f * s);
    const t = v * (1 - (1 - f) * s);
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][sector % 6]!;
    out[i] = clampByte(rgb[0]! * 255);
    out[i + 1] = clampByte(rgb[1]! * 255);
    out[i + 2] = clampByte(rgb[2]! * 255);
    if (ch === 4) out[i + 3] = data[i + 3]!;
  }
  return { ...image, data: out };
}

/**
 * torchvision's ColorJitter: each enabled adjustment gets a random factor and the four are
 * applied in a random order. Draws are made even for disabled adjustments so changing one
 * strength does not reshuffle the others' random streams.
 */
export function colorJitter(image: Image, random: Random, options: ColorJitterOptions): Image {
  assertImage(image);
  const { brightness = 0, contrast = 0, saturation = 0, hue = 0 } = options;
  if (hue < 0 || hue > 0.5) throw new RangeError(`colorJitter hue must be in [0, 0.5], got ${hue}`);
  for (const [name, v] of Object.entries({ brightness, contrast, saturation })) {
    if (!(v >= 0)) throw new RangeError(`colorJitter ${name} must be >= 0, got ${v}`);
  }
  const order = shuffleInPlace([0, 1, 2, 3], random);
  const factor = (strength: number) => random.uniform(Math.max(0, 1 - strength), 1 + strength);
  const b = factor(brightness);
  const c = factor(contrast);
  const s = factor(saturation);
  const h = random.uniform(-hue, hue);
  let out = image;
  for (const op of order) {
    if (op === 0 && brightness > 0) out = adjustBrightness(out, b);
    else if (op === 1 && contrast > 0) out = adjustContrast(out, c);
    else if (op === 2 && saturation > 0) out = adjustSaturation(out, s);
    else if (op === 3 && hue > 0) out = adjustHue(out, h);
  }
  return out;
}
