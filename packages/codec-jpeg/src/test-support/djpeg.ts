/**
 * Debian's djpeg (libjpeg-turbo-progs: native libjpeg-turbo 2.1.5, every coefficient buffered):
 * the independent reference for the wasm's scaled decodes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasDjpeg = spawnSync('sh', ['-c', 'command -v djpeg'], { stdio: 'ignore' }).status === 0;

/** A binary PPM (P6) or PGM (P5, grey JPEGs) from djpeg, as RGB like the wasm decoder's output. */
export function readPnm(file: Buffer): { width: number; height: number; rgb: Uint8Array } {
  const header = file
    .subarray(0, 64)
    .toString('latin1')
    .match(/^P([56])\s+(\d+)\s+(\d+)\s+255\s/);
  if (!header) throw new Error('djpeg did not write an 8-bit PPM/PGM');
  const width = Number(header[2]);
  const height = Number(header[3]);
  const pixels = file.subarray(header[0].length);
  if (header[1] === '6') return { width, height, rgb: new Uint8Array(pixels) };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.fill(pixels[i]!, i * 3, i * 3 + 3);
  return { width, height, rgb };
}

/** djpeg -scale eighths/8 of `bytes`; a warning (exit 2, e.g. a cut file) still gives the image. */
export function djpeg(
  bytes: Uint8Array,
  eighths: number,
): { width: number; height: number; rgb: Uint8Array } {
  const path = join(mkdtempSync(join(tmpdir(), 'ferry-djpeg-')), 'in.jpg');
  writeFileSync(path, bytes);
  const run = spawnSync('djpeg', ['-scale', `${eighths}/8`, '-pnm', path], { maxBuffer: 2 ** 28 });
  return readPnm(run.stdout);
}
