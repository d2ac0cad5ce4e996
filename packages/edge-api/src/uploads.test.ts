/**
 * What people upload, at phone and screen sizes, through the Workers build in real workerd with
 * its default limits: baseline and progressive 12-MP phone JPEGs, iPad, Mac and iPhone
 * screenshots, a 24-MP PNG, a 16-MP progressive JPEG (its coefficients at 1/8: 10 MB, not 48)
 * and the phone photo as WebP (decoded row by row). Each must answer 200 with `ferry predict`'s
 * top-1 and, since every runtime decodes them to the same pixels (one JPEG wasm; PNG and WebP
 * box-reduced by core from the same rows as sharp's), its probabilities within 1e-4. What the
 * isolate cannot hold gets the 413 that names the limit and the fix: a 12-MP WebP with an alpha
 * channel (its alpha plane's decoder holds up to 5 bytes a pixel).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClassifyResponse } from '@ferry/core';
import { ferryPredict, photo } from '@ferry/trainer/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './test-support/tiny-model.js';
import { type RunningServer, startWorkerd } from './workerd/start-workerd.js';

/**
 * A screenshot-like image: flat panels, rules and rows of "text" (short dark runs), which PNG
 * compresses as well as a real screen, so even 24 MP fits the upload limit.
 */
async function screenshot(width: number, height: number, seed: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3, 246);
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 16;
  };
  const fill = (x0: number, y0: number, w: number, h: number, rgb: [number, number, number]) => {
    for (let y = y0; y < Math.min(height, y0 + h); y++)
      for (let x = x0; x < Math.min(width, x0 + w); x++) data.set(rgb, (y * width + x) * 3);
  };
  fill(0, 0, width, Math.round(height * 0.06), [40 + (seed % 50), 60, 90]); // title bar
  fill(0, 0, Math.round(width * 0.2), height, [225, 228, 235]); // sidebar
  for (let y = Math.round(height * 0.1); y < height - 20; y += 28) {
    let x = Math.round(width * 0.24);
    while (x < width - 40) {
      const word = 8 + (next() % 60);
      fill(x, y, word, 10, [30, 30, 30 + (next() % 40)]);
      x += word + 7;
      if (next() % 9 === 0) break;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

describe('uploads people send, in workerd with the default limits', () => {
  let modelPath: string;
  let workerd: RunningServer;
  let dir: string;
  const files = new Map<string, { path: string; type: string }>();

  beforeAll(async () => {
    modelPath = await makeTinyModel();
    workerd = await startWorkerd(modelPath);
    dir = mkdtempSync(join(tmpdir(), 'ferry-uploads-'));
    const phone = photo(4032, 3024, 21);
    const made: [string, string, Promise<Buffer>][] = [
      ['baseline phone JPEG 4032x3024', 'image/jpeg', phone.clone().jpeg({ quality: 88 }).toBuffer()],
      [
        'progressive JPEG 4032x3024',
        'image/jpeg',
        phone.clone().jpeg({ quality: 85, progressive: true }).toBuffer(),
      ],
      [
        'progressive JPEG 4608x3456 (16 MP)',
        'image/jpeg',
        photo(4608, 3456, 22).jpeg({ quality: 85, progressive: true }).toBuffer(),
      ],
      ['iPad screenshot PNG 2048x2732', 'image/png', screenshot(2048, 2732, 1)],
      ['Mac screenshot PNG 2880x1800', 'image/png', screenshot(2880, 1800, 2)],
      ['iPhone screenshot PNG 1170x2532', 'image/png', screenshot(1170, 2532, 3)],
      ['24-MP PNG 6000x4000', 'image/png', screenshot(6000, 4000, 4)],
      ['WebP 4032x3024', 'image/webp', phone.clone().webp({ quality: 80 }).toBuffer()],
      [
        'WebP with alpha 4032x3024',
        'image/webp',
        phone.clone().ensureAlpha(0.9).webp({ quality: 80 }).toBuffer(),
      ],
    ];
    for (const [name, type, bytes] of made) {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.${type.split('/')[1]}`);
      writeFileSync(path, await bytes);
      files.set(name, { path, type });
    }
  }, 300_000);
  afterAll(async () => {
    await workerd?.stop();
  });

  const post = async (name: string) => {
    const { path, type } = files.get(name)!;
    return fetch(`${workerd.url}/v1/classify?top_k=10`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(readFileSync(path)),
    });
  };

  it("answers 200 with `ferry predict`'s answer for phone photos (baseline, progressive up to 16 MP, WebP) and screenshots up to 24 MP", async () => {
    const accepted = [...files.keys()].filter((name) => !name.startsWith('WebP with alpha'));
    const reference = await ferryPredict(
      modelPath,
      accepted.map((name) => files.get(name)!.path),
    );
    for (const name of accepted) {
      const res = await post(name);
      expect(res.status, `${name}: ${res.status === 200 ? '' : await res.clone().text()}`).toBe(200);
      const body = (await res.json()) as ClassifyResponse;
      const ref = reference.get(files.get(name)!.path)!;
      expect(body.predictions[0]!.label, name).toBe(ref.top1);
      for (const p of body.predictions)
        expect(Math.abs(p.probability - ref.probabilities.get(p.label)!), `${name} ${p.label}`).toBeLessThan(
          1e-4,
        );
    }
  });

  it('refuses a 12-MP WebP with alpha with the limit and the fix', async () => {
    const res = await post('WebP with alpha 4032x3024');
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('image_too_large');
    expect(body.error.message).toMatch(
      /^image is 4032x3024 pixels \(WebP with alpha: the alpha plane's decoder\), \d+\.\d megapixels to decode; this server decodes at most 3 megapixels .*send it resized to at most \d+x\d+$/,
    );
  });
});
