/**
 * One field of a multipart/form-data body (RFC 7578, RFC 2046 §5.1.1) found in the bytes the
 * server has already read: the delimiters are searched with indexOf and the file comes back as
 * a view into the body, never a copy. The platform's `Request.formData()` parses the whole body
 * into Blobs first; on a 4 MB phone photo that was 3-4 ms and a second copy of the photo, for
 * one field. The whole body is still checked: a body that is not well-formed multipart is
 * refused as a whole, even when the wanted part came before the damage.
 */

export class MultipartError extends Error {
  override name = 'MultipartError';
}

export type FormField = { kind: 'file'; bytes: Uint8Array } | { kind: 'text' };

const CRLF = [13, 10] as const;
const encoder = new TextEncoder();
const headerText = new TextDecoder('utf-8');

/** `type/subtype; key=value; key="quoted value"` → the parameters, keys lower-cased. */
function headerParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const raw = match[2]!.trim();
    const unquoted = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    params.set(match[1]!.toLowerCase(), unquoted);
  }
  return params;
}

/** The boundary of a multipart Content-Type (RFC 2046: 1 to 70 characters). */
export function multipartBoundary(contentType: string): string {
  const boundary = headerParams(contentType).get('boundary');
  if (!boundary || boundary.length > 70) throw new MultipartError('no valid boundary in the Content-Type');
  return boundary;
}

// Node's Buffer searches with memchr/memmem; elsewhere (Workers, browsers) Horspool's search,
// which steps over the body a needle's length at a time (the needles are 30-70 bytes).
const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): Uint8Array } })
  .Buffer;

/** Index of `needle` in `haystack` at or after `from`, or -1 (`portable`: never Node's Buffer). */
export function indexOfBytes(
  haystack: Uint8Array,
  needle: Uint8Array,
  from: number,
  portable = false,
): number {
  if (NodeBuffer && !portable) {
    const view = NodeBuffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
    return view.indexOf(needle as never, from);
  }
  const n = needle.byteLength;
  const skip = new Uint32Array(256).fill(n);
  for (let i = 0; i < n - 1; i++) skip[needle[i]!] = n - 1 - i;
  const lastByte = needle[n - 1]!;
  for (let i = from; i + n <= haystack.byteLength; i += skip[haystack[i + n - 1]!]!) {
    if (haystack[i + n - 1] !== lastByte) continue;
    let j = 0;
    while (j < n - 1 && haystack[i + j] === needle[j]) j++;
    if (j === n - 1) return i;
  }
  return -1;
}

/**
 * The first part named `name` in a multipart/form-data `body`: a file (a part with a `filename`
 * or `filename*` parameter, as FormData makes for a Blob) as a view into `body`, or `text` for a
 * plain value; undefined when no part has that name. Throws MultipartError when the body is not
 * well-formed: no boundary, no opening or closing delimiter, a part without its blank line or
 * without a Content-Disposition: form-data header.
 */
export function findFormField(body: Uint8Array, contentType: string, name: string): FormField | undefined {
  const delimiter = encoder.encode(`--${multipartBoundary(contentType)}`);
  // After the first, every delimiter is preceded by the CRLF that ends the part before it.
  const next = new Uint8Array(delimiter.byteLength + 2);
  next.set(CRLF);
  next.set(delimiter, 2);
  const blankLine = new Uint8Array([...CRLF, ...CRLF]);

  // A preamble before the first delimiter is allowed (and ignored).
  let at = indexOfBytes(body, delimiter, 0);
  if (at > 0) {
    at = indexOfBytes(body, next, 0);
    if (at !== -1) at += 2;
  }
  if (at === -1) throw new MultipartError('the body has no opening boundary delimiter');
  let found: FormField | undefined;
  for (;;) {
    let cursor = at + delimiter.byteLength;
    if (body[cursor] === 45 && body[cursor + 1] === 45) return found; // "--": the close delimiter
    while (body[cursor] === 32 || body[cursor] === 9) cursor++; // transport padding
    if (body[cursor] !== 13 || body[cursor + 1] !== 10)
      throw new MultipartError('a boundary delimiter is not followed by a line break');
    const headersStart = cursor + 2;
    let contentStart: number;
    let headers: string;
    if (body[headersStart] === 13 && body[headersStart + 1] === 10) {
      headers = '';
      contentStart = headersStart + 2;
    } else {
      const headersEnd = indexOfBytes(body, blankLine, headersStart);
      if (headersEnd === -1) throw new MultipartError('a part has no blank line after its headers');
      headers = headerText.decode(body.subarray(headersStart, headersEnd));
      contentStart = headersEnd + 4;
    }
    const end = indexOfBytes(body, next, contentStart);
    if (end === -1) throw new MultipartError('the body ends inside a part (no closing boundary delimiter)');

    const disposition = headers
      .split('\r\n')
      .find((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase() === 'content-disposition');
    const value = disposition?.slice(disposition.indexOf(':') + 1).trim() ?? '';
    if (!/^form-data\s*(;|$)/i.test(value))
      throw new MultipartError('a part has no Content-Disposition: form-data header');
    const params = headerParams(value);
    if (found === undefined && params.get('name') === name) {
      found =
        params.has('filename') || params.has('filename*')
          ? { kind: 'file', bytes: body.subarray(contentStart, end) }
          : { kind: 'text' };
    }
    at = end + 2;
  }
}
