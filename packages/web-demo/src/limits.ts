/**
 * What the page accepts before it decodes anything, so a 200 MB file or a 50000x50000
 * "decompression bomb" gets a plain message instead of a frozen tab.
 */
import {
  MAX_PIXELS,
  PAGE_MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES,
  readImageHeader,
  sniffImageFormat,
} from '@ferry/core';

/** core's limits, the page's names for them (the tests and the UI text read these). */
export { MAX_PIXELS, MAX_UPLOAD_BYTES };

export class UploadError extends Error {
  override name = 'UploadError';
}

const mb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** Throws an UploadError in plain words when the bytes are not an image the page can take. */
export function checkUpload(name: string, bytes: Uint8Array): void {
  if (bytes.length === 0) throw new UploadError(`“${name}” is empty.`);
  if (bytes.length > MAX_UPLOAD_BYTES) {
    throw new UploadError(
      `“${name}” is too large (${mb(bytes.length)}). The limit is ${mb(MAX_UPLOAD_BYTES)} per photo.`,
    );
  }
  if (!sniffImageFormat(bytes)) {
    throw new UploadError(`“${name}” is not an image. Use a JPEG, PNG, GIF or WebP photo.`);
  }
  const header = readImageHeader(bytes);
  if (!header) throw new UploadError(`“${name}” looks like an image but is damaged or cut short.`);
  if (header.width * header.height > MAX_PIXELS) {
    throw new UploadError(
      `“${name}” is too large (${header.width} × ${header.height} pixels). The limit is ${MAX_PIXELS / 1e6} megapixels.`,
    );
  }
}

/** Size checks that need no bytes: refuse a huge file before reading it into memory. */
export function checkFileSize(name: string, size: number): void {
  if (size > MAX_UPLOAD_BYTES) {
    throw new UploadError(
      `“${name}” is too large (${mb(size)}). The limit is ${mb(MAX_UPLOAD_BYTES)} per photo.`,
    );
  }
}
