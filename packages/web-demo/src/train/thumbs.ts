/**
 * Thumbnails for the page, read from IndexedDB only when shown: the worker stores each photo's
 * 56x56 RGB thumbnail by hash, and a class card shows a couple of dozen, so thousands of photos
 * never sit in the page's memory. Each shown one becomes a small JPEG data URL, kept.
 */
import type { Image } from '@ferry/core';
import { idbGet } from './idb.js';

const urls = new Map<string, Promise<string | null>>();

function toDataUrl(image: Image): string {
  const canvas = Object.assign(document.createElement('canvas'), {
    width: image.width,
    height: image.height,
  });
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; j < rgba.length; i += image.channels, j += 4) {
    rgba[j] = image.data[i]!;
    rgba[j + 1] = image.data[i + 1]!;
    rgba[j + 2] = image.data[i + 2]!;
    rgba[j + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
  return canvas.toDataURL('image/jpeg', 0.9);
}

/** The thumbnail of the photo with this hash as an image URL; null while the worker has not stored it. */
export function thumbnailUrl(hash: string): Promise<string | null> {
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
