/*
 * Ferry's PNG scanline reader for WebAssembly: zlib's inflate and PNG's five row filters, one
 * scanline at a time, so a 24-megapixel screenshot is read holding two scanlines, never its
 * frame. The caller (src/index.ts) parses the chunks, feeds the IDAT data in slices and turns
 * each unfiltered scanline into pixels. Built by scripts/build-wasm.mjs.
 *
 * One image at a time per wasm instance; every call is synchronous.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>
#include "zlib.h"

static z_stream stream;
static int stream_open = 0;
static unsigned char *input = NULL;
static unsigned long input_capacity = 0;
/* The scanline being inflated (filter byte first) and the unfiltered one above it. */
static unsigned char *current = NULL;
static unsigned char *previous = NULL;
static unsigned long stride = 0;
static unsigned long filled = 0; /* bytes of `current` inflated so far, filter byte included */
static int bpp = 1;
static char message[128];

static int fail(const char *text) {
  strncpy(message, text, sizeof(message) - 1);
  message[sizeof(message) - 1] = 0;
  return -1;
}

EMSCRIPTEN_KEEPALIVE const char *ferry_png_message(void) { return message; }

/* Frees the image's buffers and the inflater. */
EMSCRIPTEN_KEEPALIVE void ferry_png_end(void) {
  if (stream_open) inflateEnd(&stream);
  stream_open = 0;
  free(current);
  free(previous);
  current = previous = NULL;
}

/*
 * Starts an image whose scanlines are `row_bytes` long (without the filter byte), with `pixel_bytes`
 * bytes per complete pixel (at least 1: PNG filters work on whole bytes). 0 on success.
 */
EMSCRIPTEN_KEEPALIVE int ferry_png_start(unsigned long row_bytes, int pixel_bytes) {
  ferry_png_end();
  stride = row_bytes;
  bpp = pixel_bytes;
  filled = 0;
  current = (unsigned char *)malloc(stride + 1);
  /* The row above the first is all zeros (PNG spec 9.2), plus the filter byte's slot. */
  previous = (unsigned char *)calloc(stride + 1, 1);
  if (!current || !previous) return fail("out of memory for two scanlines");
  memset(&stream, 0, sizeof(stream));
  if (inflateInit(&stream) != Z_OK) return fail("zlib: cannot start inflate");
  stream_open = 1;
  return 0;
}

/* A buffer of `size` bytes for the next slice of IDAT data (NULL when out of memory). */
EMSCRIPTEN_KEEPALIVE unsigned char *ferry_png_input(unsigned long size) {
  if (size > input_capacity) {
    free(input);
    input = (unsigned char *)malloc(size);
    input_capacity = input ? size : 0;
  }
  return input;
}

/* Makes the `size` bytes in the input buffer the data the next rows inflate from. */
EMSCRIPTEN_KEEPALIVE void ferry_png_feed(unsigned long size) {
  stream.next_in = input;
  stream.avail_in = (uInt)size;
}

static unsigned char paeth(int a, int b, int c) {
  int p = a + b - c;
  int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return (unsigned char)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Undoes the row's filter in place; row[0] is the filter type, the pixels start at row[1]. */
static int unfilter(unsigned char *row, const unsigned char *above) {
  unsigned char *x = row + 1;
  const unsigned char *b = above + 1;
  unsigned long i, n = stride;
  int d = bpp;
  switch (row[0]) {
    case 0:
      break;
    case 1:
      for (i = d; i < n; i++) x[i] = (unsigned char)(x[i] + x[i - d]);
      break;
    case 2:
      for (i = 0; i < n; i++) x[i] = (unsigned char)(x[i] + b[i]);
      break;
    case 3:
      for (i = 0; i < (unsigned long)d && i < n; i++) x[i] = (unsigned char)(x[i] + (b[i] >> 1));
      for (; i < n; i++) x[i] = (unsigned char)(x[i] + ((x[i - d] + b[i]) >> 1));
      break;
    case 4:
      for (i = 0; i < (unsigned long)d && i < n; i++) x[i] = (unsigned char)(x[i] + b[i]);
      for (; i < n; i++) x[i] = (unsigned char)(x[i] + paeth(x[i - d], b[i], b[i - d]));
      break;
    default:
      return -1;
  }
  return 0;
}

/*
 * Inflates until the next scanline is complete and unfilters it. Returns a pointer to its
 * `row_bytes` pixels bytes (valid until the next call), 0 when the fed data ran out first (feed the
 * next slice), or -1 with the reason in the message buffer.
 */
EMSCRIPTEN_KEEPALIVE long ferry_png_next_row(void) {
  unsigned char *swap;
  if (!stream_open) return fail("no image started");
  while (filled < stride + 1) {
    int status;
    if (stream.avail_in == 0) return 0;
    stream.next_out = current + filled;
    stream.avail_out = (uInt)(stride + 1 - filled);
    status = inflate(&stream, Z_NO_FLUSH);
    filled = stride + 1 - stream.avail_out;
    if (status == Z_STREAM_END && filled < stride + 1)
      return fail("PNG image data ends before the last row");
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
      return fail(stream.msg ? stream.msg : "zlib: corrupt image data");
    }
  }
  if (unfilter(current, previous)) {
    char text[64];
    snprintf(text, sizeof(text), "unknown PNG filter type %d", current[0]);
    return fail(text);
  }
  filled = 0;
  swap = previous;
  previous = current;
  current = swap;
  return (long)(previous + 1);
}
