/**
 * Thumbnails for the page, read from IndexedDB only when shown: the worker stores each photo's
 * 56x56 RGB thumbnail by hash, and a class card shows a couple of dozen, so thousands of photos
 * never sit in the page's memory. Each shown one becomes a small BMP data URL, kept.
 */
import type { Image } from '@ferry/core';
import { idbGet } from './idb.js';

const urls = new Map<string, Promise<string | null>>();

/**
 * The thumbnail as an uncompressed BMP data URL (9 KB for 56x56): written here byte by byte, no
 * canvas. A canvas and an ImageData a thumbnail left tens of MiB of garbage in the page until the
 * next collection.
 */
function toDataUrl(image: Image): string {
  const { width, height, channels, data } = image;
  const rowBytes = (width * 3 + 3) & ~3;
  const size = 54 + rowBytes * height;
  const bmp = new Uint8Array(size);
  const view = new DataView(bmp.buffer);
  bmp[0] = 0x42; // 'B'
  bmp[1] = 0x4d; // 'M'
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true); // pixels start after the two headers
  view.setUint32(14, 40, true); // BITMAPINFOHEADER
  view.setInt32(18, width, true);
  view.setInt32(22, -height, true); // negative: rows top to bottom
  view.setUint16(26, 1, true); // planes
  view.setUint16(28, 24, true); // bits per pixel: BGR
  view.setUint32(34, rowBytes * height, true);
  for (let y = 0; y < height; y++)
    for (let x = 0, i = y * width * channels, o = 54 + y * rowBytes; x < width; x++, i += channels, o += 3) {
      bmp[o] = data[i + 2]!;
      bmp[o + 1] = data[i + 1]!;
      bmp[o + 2] = data[i]!;
    }
  let binary = '';
  for (let i = 0; i < size; i += 0x8000) binary += String.fromCharCode(...bmp.subarray(i, i + 0x8000));
  return `data:image/bmp;base64,${btoa(binary)}`;
}

/** The thumbnail of the photo with this hash as an image URL; null while the worker has not stored it. */
function thumbnailUrl(hash: string): Promise<string | null> {
  let url = urls.get(hash);
  if (!url) {
    url = idbGet<Image>('thumbs', hash).then((image) => (image ? toDataUrl(image) : null));
    urls.set(hash, url);
    // Not stored yet (the worker writes a batch behind): ask again next time.
    void url.then((u) => {
      if (!u) urls.delete(hash);
    });
  }
  return url;
}

/**
 * The worker stores thumbnails a batch behind the features it reports, so a card may show a
 * photo before its thumbnail is stored: it is asked for again every RETRY_MS, up to RETRIES times.
 */
const RETRY_MS = 500;
const RETRIES = 40;

async function showWhenStored(img: HTMLImageElement, hash: string, tries = 0): Promise<void> {
  const src = await thumbnailUrl(hash);
  if (src) {
    img.src = src;
    img.hidden = false;
  } else if (tries < RETRIES) window.setTimeout(() => void showWhenStored(img, hash, tries + 1), RETRY_MS);
}

/** An <img> whose source arrives when the thumbnail is read (nothing shown if there is none). */
export function thumbnailImage(hash: string | undefined, alt: string, title?: string): HTMLImageElement {
  const img = document.createElement('img');
  img.alt = alt;
  if (title) img.title = title;
  img.hidden = true;
  if (hash) void showWhenStored(img, hash);
  return img;
}
