/**
 * Synthetic test photos made with sharp: smooth gradients plus deterministic noise, so codecs
 * have real texture to get wrong, with no files from outside the test.
 */
import sharp, { type Sharp } from 'sharp';

export function photoPixels(width: number, height: number, seed = 1): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let state = seed >>> 0 || 1;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const blob = Math.hypot(x - width * 0.6, y - height * 0.4) < Math.min(width, height) / 4 ? 90 : 0;
      data[i] = Math.min(255, (x * 255) / width + blob * 0.5 + rand() * 30);
      data[i + 1] = Math.min(255, (y * 255) / height + rand() * 30);
      data[i + 2] = Math.min(255, 128 + blob - rand() * 40);
    }
  }
  return data;
}

/** A sharp pipeline over a synthetic RGB photo. */
export function photo(width: number, height: number, seed = 1): Sharp {
  return sharp(photoPixels(width, height, seed), { raw: { width, height, channels: 3 } });
}

export interface Sample {
  name: string;
  bytes: Uint8Array;
  contentType: string;
}

/** One of every format/variant the decoders must handle, all decodable. */
export async function decodableSamples(): Promise<Sample[]> {
  const rgba = Buffer.alloc(96 * 64 * 4);
  const base = photoPixels(96, 64, 7);
  for (let p = 0; p < 96 * 64; p++) {
    rgba[p * 4] = base[p * 3]!;
    rgba[p * 4 + 1] = base[p * 3 + 1]!;
    rgba[p * 4 + 2] = base[p * 3 + 2]!;
    rgba[p * 4 + 3] = (p % 96) * 2 + 40;
  }
  const rgbaImage = () => sharp(rgba, { raw: { width: 96, height: 64, channels: 4 } });
  const make = async (name: string, contentType: string, s: Sharp): Promise<Sample> => ({
    name,
    contentType,
    bytes: new Uint8Array(await s.toBuffer()),
  });
  return Promise.all([
    make('jpeg rgb 4:2:0', 'image/jpeg', photo(120, 90).jpeg({ quality: 90 })),
    make('jpeg rgb 4:4:4', 'image/jpeg', photo(120, 90, 2).jpeg({ quality: 90, chromaSubsampling: '4:4:4' })),
    make('jpeg progressive', 'image/jpeg', photo(120, 90, 3).jpeg({ quality: 85, progressive: true })),
    make('jpeg grayscale', 'image/jpeg', photo(120, 90, 4).grayscale().jpeg({ quality: 90 })),
    make('jpeg cmyk', 'image/jpeg', photo(120, 90, 5).toColourspace('cmyk').jpeg({ quality: 90 })),
    make('png rgb', 'image/png', photo(80, 60, 6).png()),
    make('png rgba', 'image/png', rgbaImage().png()),
    make('png 16-bit', 'image/png', photo(80, 60, 8).toColourspace('rgb16').png()),
    make('png grayscale', 'image/png', photo(80, 60, 9).grayscale().png()),
    make('png palette', 'image/png', photo(80, 60, 10).png({ palette: true, colours: 64 })),
    make('gif', 'image/gif', photo(80, 60, 11).gif()),
    make('webp lossy', 'image/webp', photo(80, 60, 12).webp({ quality: 90 })),
    make('webp lossless rgba', 'image/webp', rgbaImage().webp({ lossless: true })),
  ]);
}
