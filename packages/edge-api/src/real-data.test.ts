/**
 * Real photos through a real exported MobileNetV2 ants/bees classifier: the Workers build in
 * workerd and the Node server must give `ferry predict`'s answer (same top-1, probabilities
 * within 1e-3) on a fixed subset of 30 val photos plus the 7 shared photos, and the Workers
 * decoders are measured against sharp on the same files. The full 153 go through bench/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Image, readImageHeader, toRgb } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRealData, realData } from '../../../testing/real-data.js';
import { decodeWithSharp } from './adapter/node/decode-sharp.js';
import { createJsDecoder, initWebp } from './decoders/index.js';
import { compareWithReference, type NamedImage } from './test-support/compare.js';
import { trainRealModel } from './test-support/real-model.js';
import { createReference, type Reference } from './test-support/reference.js';
import { startNode } from './testing/start-node.js';
import { type RunningServer, startWorkerd } from './workerd/start-workerd.js';

const NAME = 'edge-api real photos';
const enabled =
  haveRealData('hymenopteraDir', NAME) && haveRealData('modelsDir', NAME) && haveRealData('imagesDir', NAME);

/** Every 5th val photo per class (sorted): 14 ants + 17 bees, fixed across runs. */
function realImages(): NamedImage[] {
  const { hymenopteraDir, imagesDir } = realData();
  const images: NamedImage[] = [];
  for (const cls of ['ants', 'bees']) {
    const dir = join(hymenopteraDir!, 'val', cls);
    const files = readdirSync(dir).sort();
    for (let i = 0; i < files.length; i += 5) {
      images.push({
        name: `val/${cls}/${files[i]}`,
        bytes: new Uint8Array(readFileSync(join(dir, files[i]!))),
      });
    }
  }
  for (const file of readdirSync(imagesDir!).sort()) {
    images.push({ name: `images/${file}`, bytes: new Uint8Array(readFileSync(join(imagesDir!, file))) });
  }
  return images;
}

describe.runIf(enabled)(NAME, () => {
  let images: NamedImage[];
  beforeAll(() => {
    images = realImages();
  });

  it('Workers decoders match sharp on real photos (decoded-pixel difference)', async () => {
    const require = (await import('node:module')).createRequire(import.meta.url);
    initWebp(
      await WebAssembly.compile(readFileSync(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'))),
    );
    const decode = createJsDecoder(40_000_000);
    let sum = 0;
    let count = 0;
    let max = 0;
    let worstMean = 0;
    let worstName = '';
    for (const image of images) {
      const header = readImageHeader(image.bytes)!;
      const a: Image = toRgb(await decode(image.bytes, header));
      const b: Image = toRgb(await decodeWithSharp(image.bytes, 40_000_000));
      expect([a.width, a.height], image.name).toEqual([b.width, b.height]);
      let imageSum = 0;
      for (let i = 0; i < a.data.length; i++) {
        const d = Math.abs(a.data[i]! - b.data[i]!);
        imageSum += d;
        if (d > max) max = d;
      }
      sum += imageSum;
      count += a.data.length;
      if (imageSum / a.data.length > worstMean) {
        worstMean = imageSum / a.data.length;
        worstName = image.name;
      }
    }
    const report = {
      images: images.length,
      meanAbs: sum / count,
      worstImageMeanAbs: worstMean,
      worstName,
      maxAbs: max,
    };
    console.log(
      'decoded-pixel difference jpeg-js/fast-png/omggif vs sharp on real photos:',
      JSON.stringify(report),
    );
    // JPEG decoders differ in IDCT rounding and chroma upsampling; on top of that sharp applies
    // an embedded ICC profile (val/bees/353266603_d3eac7e9a0.jpg has one) and the JS decoders
    // do not, which is the worst image's whole story.
    expect(report.meanAbs).toBeLessThan(1.5);
    expect(report.worstImageMeanAbs).toBeLessThan(10);
  });

  describe('exported MobileNetV2 ants/bees model', () => {
    let reference: Reference;
    let workerd: RunningServer;
    let node: RunningServer;
    beforeAll(async () => {
      const modelPath = await trainRealModel(realData().hymenopteraDir!);
      reference = await createReference(modelPath);
      [workerd, node] = await Promise.all([startWorkerd(modelPath), startNode(modelPath)]);
    }, 600_000);
    afterAll(async () => {
      await Promise.all([workerd?.stop(), node?.stop()]);
    });

    it('node server gives the reference answer on every photo', async () => {
      const result = await compareWithReference(node.url, reference, images);
      console.log('node vs reference (real):', JSON.stringify(result));
      expect(result.top1Mismatches).toEqual([]);
      expect(result.maxProbabilityDiff).toBeLessThan(1e-5);
    });

    it('workerd gives the reference top-1 on every photo, probabilities within 1e-3', async () => {
      const result = await compareWithReference(workerd.url, reference, images);
      console.log('workerd vs reference (real):', JSON.stringify(result));
      expect(result.top1Mismatches).toEqual([]);
      expect(result.maxProbabilityDiff).toBeLessThanOrEqual(1e-3);
    });
  });
});
