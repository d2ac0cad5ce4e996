/**
 * Uploads a public image API meets in the wild, each with the status the API must answer.
 * Generated here (sharp + hand-made bytes) so the corpus needs no files.
 */

import { photo } from '@ferry/trainer/testing';
import sharp, { type SharpOptions } from 'sharp';

export interface CorpusCase {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string | FormData | ReadableStream<Uint8Array>;
  status: number;
  /** Expected error code for 4xx answers. */
  code?: string;
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A PNG that is only a signature and an IHDR chunk declaring width x height (a "bomb" header). */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(17);
  const view = new DataView(ihdr.buffer);
  ihdr.set([0x49, 0x48, 0x44, 0x52]); // "IHDR"
  view.setUint32(4, width);
  view.setUint32(8, height);
  ihdr.set([8, 2, 0, 0, 0], 12); // 8-bit RGB, no interlace
  const out = new Uint8Array(8 + 4 + 17 + 4);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  new DataView(out.buffer).setUint32(8, 13);
  out.set(ihdr, 12);
  new DataView(out.buffer).setUint32(29, crc32(ihdr));
  return out;
}

/** A JPEG with a valid SOI/SOF0 declaring the given size and no image data. */
function jpegHeaderOnly(width: number, height: number): Uint8Array {
  return new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
    0xff,
    0xd9,
  ]);
}

function form(entries: [string, string | Blob, string?][]): FormData {
  const data = new FormData();
  for (const [name, value, filename] of entries) {
    if (typeof value === 'string') data.append(name, value);
    else data.append(name, value, filename);
  }
  return data;
}

/** A body stream with no Content-Length, so only the streaming cap can stop it. */
function endlessStream(totalBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const chunk = new Uint8Array(256 * 1024).fill(0xab);
  chunk.set([0xff, 0xd8, 0xff]);
  return new ReadableStream({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      controller.enqueue(chunk.slice());
      sent += chunk.length;
    },
  });
}

export async function badInputCorpus(): Promise<CorpusCase[]> {
  const jpeg = new Uint8Array(await photo(160, 120).jpeg({ quality: 85 }).toBuffer());
  const png = new Uint8Array(await photo(64, 48, 2).png().toBuffer());
  const animatedGif = new Uint8Array(
    await sharp(
      Buffer.concat([await photo(40, 30, 3).raw().toBuffer(), await photo(40, 30, 4).raw().toBuffer()]),
      {
        raw: { width: 40, height: 60, channels: 3, pageHeight: 30 },
      } as SharpOptions,
    )
      .gif({ loop: 0, delay: [100, 100] })
      .toBuffer(),
  );
  const rgba = new Uint8Array(await photo(64, 48, 5).ensureAlpha(0.5).png().toBuffer());
  const jpegImage = { 'content-type': 'image/jpeg' };
  const corruptPng = png.slice();
  corruptPng.fill(0x00, 60, 200); // inside IDAT: CRC and zlib stream broken
  const corruptJpeg = jpeg.slice();
  corruptJpeg.fill(0xff, 400, 900); // scan data overwritten with marker bytes

  return [
    { name: 'zero bytes', headers: jpegImage, body: new Uint8Array(0), status: 400, code: 'empty_body' },
    {
      name: 'truncated JPEG',
      headers: jpegImage,
      body: jpeg.subarray(0, Math.floor(jpeg.length / 2)),
      status: 400,
      code: 'bad_image',
    },
    {
      name: 'JPEG with corrupt scan data',
      headers: jpegImage,
      body: corruptJpeg,
      status: 400,
      code: 'bad_image',
    },
    {
      name: 'JPEG header only (no scan)',
      headers: jpegImage,
      body: jpegHeaderOnly(64, 64),
      status: 400,
      code: 'bad_image',
    },
    {
      name: 'PNG declaring 50000x50000',
      headers: { 'content-type': 'image/png' },
      body: pngHeaderOnly(50_000, 50_000),
      status: 413,
      code: 'image_too_large',
    },
    {
      name: 'JPEG declaring 65535x65535',
      headers: jpegImage,
      body: jpegHeaderOnly(65535, 65535),
      status: 413,
      code: 'image_too_large',
    },
    {
      name: 'PNG with corrupt IDAT',
      headers: { 'content-type': 'image/png' },
      body: corruptPng,
      status: 400,
      code: 'bad_image',
    },
    {
      name: '11 MB body',
      headers: jpegImage,
      body: new Uint8Array(11 * 1024 * 1024).fill(7),
      status: 413,
      code: 'body_too_large',
    },
    {
      name: '11 MB streamed body without Content-Length',
      headers: jpegImage,
      body: endlessStream(11 * 1024 * 1024),
      status: 413,
      code: 'body_too_large',
    },
    {
      name: 'HTML sent as image/jpeg',
      headers: jpegImage,
      body: '<!doctype html><html><body><script>alert(1)</script></body></html>',
      status: 400,
      code: 'bad_image',
    },
    {
      name: 'random bytes as image/png',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff),
      status: 400,
      code: 'bad_image',
    },
    // Formats phones also write, which no runtime here decodes: a 415 naming the accepted ones
    // when labelled as such, a 400 when sent under an accepted type.
    {
      name: 'AVIF (sharp-encoded)',
      headers: { 'content-type': 'image/avif' },
      body: new Uint8Array(await photo(64, 48, 8).avif({ quality: 50 }).toBuffer()),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'AVIF sent as image/jpeg',
      headers: jpegImage,
      body: new Uint8Array(await photo(64, 48, 8).avif({ quality: 50 }).toBuffer()),
      status: 400,
      code: 'bad_image',
    },
    {
      name: 'HEIC (an iPhone ftyp header)',
      headers: { 'content-type': 'image/heic' },
      body: new Uint8Array([
        ...[0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70],
        ...new TextEncoder().encode('heicmif1heic'),
        ...new Uint8Array(4),
        ...new Uint8Array(2048).map((_, i) => (i * 31) & 0xff),
      ]),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'text/plain',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'image/svg+xml',
      headers: { 'content-type': 'image/svg+xml' },
      body: '<svg xmlns="http://www.w3.org/2000/svg"/>',
      status: 415,
      code: 'unsupported_media_type',
    },
    { name: 'no Content-Type', body: jpeg, status: 415, code: 'unsupported_media_type' },
    {
      name: 'multipart without image',
      body: form([['file', new Blob([jpeg], { type: 'image/jpeg' }), 'a.jpg']]),
      status: 422,
      code: 'missing_field',
    },
    {
      name: 'multipart with image as a text value',
      body: form([['image', 'not a file']]),
      status: 422,
      code: 'missing_field',
    },
    {
      name: 'multipart with a broken boundary',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--abc\r\nContent-Disposition: form-data; name="image"\r\n\r\nnope',
      status: 400,
    },
    {
      name: 'multipart with image (normal)',
      body: form([['image', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg']]),
      status: 200,
    },
    {
      name: 'animated GIF (first frame)',
      headers: { 'content-type': 'image/gif' },
      body: animatedGif,
      status: 200,
    },
    {
      name: 'truncated GIF',
      headers: { 'content-type': 'image/gif' },
      body: animatedGif.subarray(0, 40),
      status: 400,
      code: 'bad_image',
    },
    {
      name: 'CMYK JPEG',
      headers: jpegImage,
      body: new Uint8Array(await photo(80, 60, 6).toColourspace('cmyk').jpeg().toBuffer()),
      status: 200,
    },
    {
      name: '16-bit PNG',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(await photo(80, 60, 7).toColourspace('rgb16').png().toBuffer()),
      status: 200,
    },
    {
      name: 'grayscale JPEG',
      headers: jpegImage,
      body: new Uint8Array(await photo(80, 60, 8).grayscale().jpeg().toBuffer()),
      status: 200,
    },
    { name: 'RGBA PNG', headers: { 'content-type': 'image/png' }, body: rgba, status: 200 },
    {
      name: 'EXIF-rotated JPEG',
      headers: jpegImage,
      body: new Uint8Array(await photo(80, 60, 9).jpeg().withMetadata({ orientation: 6 }).toBuffer()),
      status: 200,
    },
    {
      name: 'WebP',
      headers: { 'content-type': 'image/webp' },
      body: new Uint8Array(await photo(80, 60, 10).webp().toBuffer()),
      status: 200,
    },
    {
      name: '1x1 PNG',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(await photo(1, 1).png().toBuffer()),
      status: 200,
    },
    { name: 'PNG sent as image/jpeg (format sniffed)', headers: jpegImage, body: png, status: 200 },
    {
      name: 'huge top_k (clamped)',
      path: '/v1/classify?top_k=1000000000',
      headers: jpegImage,
      body: jpeg,
      status: 200,
    },
    {
      name: 'negative top_k',
      path: '/v1/classify?top_k=-3',
      headers: jpegImage,
      body: jpeg,
      status: 400,
      code: 'bad_request',
    },
    {
      name: 'non-numeric top_k',
      path: '/v1/classify?top_k=five',
      headers: jpegImage,
      body: jpeg,
      status: 400,
      code: 'bad_request',
    },
    {
      name: 'top_k=0',
      path: '/v1/classify?top_k=0',
      headers: jpegImage,
      body: jpeg,
      status: 400,
      code: 'bad_request',
    },
    { name: 'GET /v1/classify', method: 'GET', body: undefined, status: 405, code: 'method_not_allowed' },
    {
      name: 'POST /v1/model',
      method: 'POST',
      path: '/v1/model',
      body: 'x',
      status: 405,
      code: 'method_not_allowed',
    },
    { name: 'unknown path', method: 'GET', path: '/v2/whatever', status: 404, code: 'not_found' },
  ];
}

/** Sends one corpus case; FormData sets its own multipart Content-Type. */
export function sendCase(baseUrl: string, c: CorpusCase): Promise<Response> {
  const init: RequestInit & { duplex?: 'half' } = {
    method: c.method ?? 'POST',
    headers: c.headers ?? {},
  };
  if (c.body !== undefined) {
    init.body = c.body as BodyInit;
    if (c.body instanceof ReadableStream) init.duplex = 'half';
  }
  return fetch(baseUrl + (c.path ?? '/v1/classify'), init);
}
