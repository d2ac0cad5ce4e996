/**
 * multipart.ts against the platform's own parser (undici's Request.formData()) on bodies the
 * platform's FormData writes: a real JPEG among other fields, in any order, file bytes that
 * contain line breaks, dashes and most of the boundary; plus what browsers and curl send
 * (quoted parameters, a preamble, an epilogue) and every way a body can be malformed.
 */
import { photo } from '@ferry/trainer/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { findFormField, indexOfBytes, MultipartError } from './multipart.js';

const text = (s: string) => new TextEncoder().encode(s);

/** What FormData serialises to: the bytes and the Content-Type with its boundary. */
async function encode(form: FormData): Promise<{ body: Uint8Array; contentType: string }> {
  const request = new Request('http://local/', { method: 'POST', body: form });
  return {
    body: new Uint8Array(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

/** The platform's reading of the same body: the bytes of a file field, 'text', or undefined. */
async function platform(body: Uint8Array, contentType: string, name: string) {
  const form = await new Request('http://local/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: body as Uint8Array<ArrayBuffer>,
  }).formData();
  const value = form.get(name);
  if (value === null) return undefined;
  return typeof value === 'string' ? 'text' : new Uint8Array(await value.arrayBuffer());
}

const ours = (body: Uint8Array, contentType: string, name: string) => {
  const field = findFormField(body, contentType, name);
  return field?.kind === 'file' ? new Uint8Array(field.bytes) : field?.kind;
};

let jpeg: Uint8Array;
beforeAll(async () => {
  jpeg = new Uint8Array(await photo(640, 480).jpeg({ quality: 90 }).toBuffer());
});

describe('findFormField', () => {
  it('finds what the platform finds in FormData bodies, the file as a view into the body', async () => {
    // File bytes that look like the syntax around them: line breaks, dashes, CR LF and all but the
    // last character of a boundary (FormData's boundaries are random, so one is fixed by hand below).
    const tricky = new Uint8Array([
      ...jpeg.subarray(0, 300),
      ...text('\r\n--\r\n\r\n--\r\n'),
      ...jpeg.subarray(300),
    ]);
    const forms: [string, FormData][] = [];
    const a = new FormData();
    a.set('image', new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), 'photo.jpg');
    forms.push(['image only', a]);
    const b = new FormData();
    b.set('note', 'before');
    b.set('other', new Blob([tricky as Uint8Array<ArrayBuffer>]), 'other.bin');
    b.set('image', new Blob([tricky as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), 'ph"o\u00e9to.jpg');
    b.set('after', 'x\r\ny');
    forms.push(['among other fields, tricky bytes', b]);
    const c = new FormData();
    c.set('image', 'a text value');
    forms.push(['image as text', c]);
    const d = new FormData();
    d.set('file', new Blob([jpeg as Uint8Array<ArrayBuffer>]), 'a.jpg');
    forms.push(['no image field', d]);
    const e = new FormData();
    e.set('image', new Blob([]), 'empty.jpg');
    forms.push(['empty file', e]);
    for (const [name, form] of forms) {
      const { body, contentType } = await encode(form);
      for (const field of ['image', 'note', 'other', 'after', 'file', 'absent'])
        expect(ours(body, contentType, field), `${name}: ${field}`).toEqual(
          await platform(body, contentType, field),
        );
    }
    const { body, contentType } = await encode(a);
    const found = findFormField(body, contentType, 'image');
    expect(found?.kind === 'file' && found.bytes.buffer === body.buffer).toBe(true);

    // A known boundary, and content holding all but its last character after a line break.
    const handmade = text(
      '--b0undary\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n' +
        'x\r\n--b0undar\r\ny\r\n' +
        '\r\n--b0undary--',
    );
    const handmadeType = 'multipart/form-data; boundary=b0undary';
    expect(ours(handmade, handmadeType, 'image')).toEqual(await platform(handmade, handmadeType, 'image'));
    expect(new TextDecoder().decode(ours(handmade, handmadeType, 'image') as Uint8Array)).toBe(
      'x\r\n--b0undar\r\ny\r\n',
    );
  });

  it('reads what curl and browsers send: quoted boundary, preamble, epilogue, padding, filename*', () => {
    const boundary = '------------------------d74496d66958873e';
    const body = text(
      `a preamble line\r\n--${boundary}\r\ncontent-disposition: form-data; name="note"\r\n\r\nhello` +
        `\r\n--${boundary} \t\r\nContent-Disposition: form-data; name=image; filename*=UTF-8''ph%C3%A9to.jpg\r\n` +
        `Content-Type: image/jpeg\r\n\r\nJPEGBYTES\r\n--${boundary}--\r\nan epilogue`,
    );
    const field = findFormField(body, `multipart/form-data; boundary="${boundary}"`, 'image');
    expect(field?.kind).toBe('file');
    expect(new TextDecoder().decode((field as { bytes: Uint8Array }).bytes)).toBe('JPEGBYTES');
    expect(findFormField(body, `multipart/form-data; boundary=${boundary}`, 'note')).toEqual({
      kind: 'text',
    });
  });

  it('refuses malformed bodies as a whole, even after the wanted part', () => {
    const type = 'multipart/form-data; boundary=xyz';
    const part = '--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nJPEG\r\n';
    const cases: [string, string, string][] = [
      ['no boundary parameter', 'multipart/form-data', `${part}--xyz--`],
      ['a boundary over 70 characters', `multipart/form-data; boundary=${'b'.repeat(71)}`, `${part}--xyz--`],
      [
        'another boundary in the body',
        type,
        '--abc\r\nContent-Disposition: form-data; name="image"\r\n\r\nnope',
      ],
      ['no closing delimiter', type, `${part}`],
      ['cut inside the part', type, part.slice(0, 60)],
      ['no blank line after the headers', type, '--xyz\r\nContent-Disposition: form-data; name="image"'],
      ['no Content-Disposition', type, '--xyz\r\nContent-Type: image/jpeg\r\n\r\nJPEG\r\n--xyz--'],
      [
        'not form-data',
        type,
        '--xyz\r\nContent-Disposition: attachment; name="image"\r\n\r\nJPEG\r\n--xyz--',
      ],
      ['no line break after a delimiter', type, '--xyzJUNK\r\n\r\nJPEG\r\n--xyz--'],
      ['a broken part after the image', type, `${part}--xyz\r\nContent-Type: text/plain\r\n\r\nx\r\n--xyz--`],
      ['empty body', type, ''],
    ];
    for (const [name, contentType, body] of cases)
      expect(() => findFormField(text(body), contentType, 'image'), name).toThrow(MultipartError);
    expect(findFormField(text(`${part}--xyz--`), type, 'image')?.kind).toBe('file');
  });

  it('searches the same with and without Node Buffer (the Workers and browser path)', () => {
    let state = 3;
    const haystack = new Uint8Array(200_000).map(() => {
      state = (state * 1103515245 + 12345) >>> 0;
      return 'ab-\r\n'.charCodeAt(state % 5);
    });
    for (const needle of ['\r\n--ab', '\r\n\r\n', '--a-b-', 'ab-\r\nab-\r\nab-\r\nzz']) {
      let at = 0;
      for (let hits = 0; hits < 50; hits++) {
        const node = indexOfBytes(haystack, text(needle), at);
        expect(indexOfBytes(haystack, text(needle), at, true), needle).toBe(node);
        if (node === -1) break;
        at = node + 1;
      }
    }
  });
});
