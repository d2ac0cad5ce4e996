/**
 * Data for the GPU bundle (run by pack.sh with the repo's Node and sharp):
 *
 *   node prepare-data.mjs synthetic DIR [PER_CLASS]   tiny train/val folder of generated JPEGs
 *   node prepare-data.mjs resize SRC DST SHORT_SIDE   copy of a folder-per-class set, JPEGs scaled
 *                                                     so their shorter side is SHORT_SIDE
 *
 * Why resize: the full ants/bees set (46 MB of JPEGs, which do not compress) plus Node, Dawn,
 * libvips and onnxruntime do not fit the device tool's 64 MiB. Both trainers (Ferry and the
 * PyTorch peer) then read the same smaller files, so the comparison stays fair; crops are 224 px
 * and the tutorial's val transform resizes to 256 anyway. Files that are not JPEG (the set has a
 * GIF named .jpg) are copied unchanged so both trainers still meet them.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const [command, ...rest] = process.argv.slice(2);

async function synthetic(dir, perClass = 6) {
  // Two colours that a network can tell apart, with per-image noise so no two files are equal.
  const classes = { reds: [200, 40, 40], blues: [40, 60, 200] };
  for (const split of ['train', 'val']) {
    for (const [label, [r, g, b]] of Object.entries(classes)) {
      const out = join(dir, split, label);
      await mkdir(out, { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const noise = Buffer.alloc(96 * 80 * 3);
        for (let p = 0; p < noise.length; p += 3) {
          const jitter = ((p * 7919 + i * 104729) % 61) - 30;
          noise[p] = Math.max(0, Math.min(255, r + jitter));
          noise[p + 1] = Math.max(0, Math.min(255, g + jitter));
          noise[p + 2] = Math.max(0, Math.min(255, b + jitter));
        }
        await sharp(noise, { raw: { width: 96, height: 80, channels: 3 } })
          .jpeg({ quality: 90 })
          .toFile(join(out, `${label}-${i}.jpg`));
      }
    }
  }
}

async function resize(src, dst, shortSide) {
  let count = 0;
  let copied = 0;
  async function walk(from, to) {
    await mkdir(to, { recursive: true });
    for (const entry of (await readdir(from, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const source = join(from, entry.name);
      const target = join(to, entry.name);
      if (entry.isDirectory()) {
        await walk(source, target);
        continue;
      }
      if (!entry.isFile()) continue;
      const meta = await sharp(source)
        .metadata()
        .catch(() => undefined);
      if (meta?.format !== 'jpeg' || !meta.width || !meta.height) {
        await copyFile(source, target);
        copied++;
        continue;
      }
      const scale = shortSide / Math.min(meta.width, meta.height);
      if (scale >= 1) {
        await copyFile(source, target);
      } else {
        await sharp(source)
          .rotate() // honour EXIF orientation before the EXIF tag is dropped
          .resize(Math.round(meta.width * scale), Math.round(meta.height * scale), { kernel: 'lanczos3' })
          .jpeg({ quality: 90 })
          .toFile(target);
      }
      count++;
    }
  }
  await walk(src, dst);
  console.log(
    `prepare-data: ${dst}: ${count} JPEGs at short side <= ${shortSide}, ${copied} other files copied as is`,
  );
}

if (command === 'synthetic' && rest[0]) await synthetic(rest[0], Number(rest[1] ?? 6));
else if (command === 'resize' && rest.length === 3) await resize(rest[0], rest[1], Number(rest[2]));
else {
  console.error('usage: prepare-data.mjs synthetic DIR [PER_CLASS] | resize SRC DST SHORT_SIDE');
  process.exit(2);
}
