/*
 * Ferry's WebP decoder for WebAssembly: libwebp 1.2.4 (Debian bookworm's source with Debian's
 * patches), built by scripts/build-wasm.mjs. It hands decoded rows to JavaScript as libwebp
 * produces them, so a caller that reduces the image (core's box reducer) never holds the frame:
 *
 *  - lossy (VP8, with or without an ALPH chunk): libwebp's own VP8 decoder driven through a
 *    VP8Io whose put() is libwebp's CustomPut (io_dec.c: the fancy upsampler and the alpha
 *    emitter that WebPDecodeRGB/RGBA use), pointed at a window of a few rows instead of a whole
 *    frame. The window is moved before each put() so the rows put() completes land in it; they
 *    go to JS, and the window is reused. Held: O(width) (the window, libwebp's row caches), plus,
 *    with alpha, libwebp's width*height alpha plane (alpha_dec.c keeps it for the whole decode).
 *  - lossless (VP8L): libwebp's VP8L decoder, whose RGB(A) rows come out 16 at a time into a
 *    window through a hook (patches/libwebp-1.2.4-lossless-rows.patch). VP8L's backward
 *    references reach any earlier pixel, so libwebp holds the whole image as ARGB (4 bytes a
 *    pixel) anyway; what the hook saves is the output frame.
 *  - animated: the first frame (WebPDemux), decoded as above, composed onto the transparent
 *    canvas row by row as libvips (sharp) composes it.
 *
 * One decode at a time per wasm instance: JS is single-threaded and every call is synchronous.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>
#include "src/dec/vp8_dec.h"
#include "src/dec/vp8i_dec.h"
#include "src/dec/vp8li_dec.h"
#include "src/dec/webpi_dec.h"
#include "src/webp/decode.h"
#include "src/webp/demux.h"

/*
 * The JS side: `count` rows of `stride` bytes at `rows`, the first of them row `first`, valid
 * only during the call. Returns 0 to stop the decode (the JS sink threw).
 */
EM_JS(int, ferry_webp_rows, (const uint8_t *rows, int first, int count, int stride), {
  return Module['onRows'](rows, first, count, stride);
});

static uint8_t *input = NULL;
static size_t input_capacity = 0;
/* What ferry_webp_header found (and ferry_webp_decode decodes): see the INFO_* indices. */
static int info[6];
enum { INFO_WIDTH, INFO_HEIGHT, INFO_CHANNELS, INFO_FORMAT, INFO_FRAMES, INFO_HAS_ALPHA };
static char message[256];

static const char *status_text(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data: truncated file";
    default: return "unknown error";
  }
}

static int fail(const char *text, VP8StatusCode status) {
  const char *reason = status_text(status);
  if (text != NULL && text[0] != 0)
    snprintf(message, sizeof(message), "%s (%s)", text, reason);
  else
    snprintf(message, sizeof(message), "%s", reason);
  return -1;
}

/* Returns a buffer of `size` bytes for the caller to copy the WebP into (NULL when out of memory). */
EMSCRIPTEN_KEEPALIVE uint8_t *ferry_webp_input(size_t size) {
  if (size > input_capacity) {
    free(input);
    input = (uint8_t *)malloc(size);
    input_capacity = input ? size : 0;
  }
  return input;
}

EMSCRIPTEN_KEEPALIVE int *ferry_webp_info(void) { return info; }
EMSCRIPTEN_KEEPALIVE const char *ferry_webp_message(void) { return message; }

/* ---- where rows go: straight to JS, or onto an animation's canvas first ---- */

typedef struct RowSink RowSink;
struct RowSink {
  int (*rows)(RowSink *sink, const uint8_t *rows, int first, int count, int stride);
};

static int to_js(RowSink *sink, const uint8_t *rows, int first, int count, int stride) {
  (void)sink;
  return ferry_webp_rows(rows, first, count, stride);
}

/* ---- lossy: libwebp's VP8 decoder and its own emitters, a window of rows at a time ---- */

typedef struct {
  WebPDecParams params; /* first: libwebp's CustomPut reads io->opaque as WebPDecParams* */
  WebPDecBuffer output;
  VP8IoPutHook custom_put;
  uint8_t *window;
  size_t window_bytes;
  int stride;
  RowSink *sink;
} Stream;

/*
 * io_dec.c's CustomPut writes the rows it completes at output->u.RGBA.rgba + y * stride. With
 * fancy upsampling, a put() for rows [mb_y, mb_y + mb_h) completes rows from params.last_y
 * (= mb_y - 1: the row the previous put left unfinished, 0 for the first) to at most
 * mb_y + mb_h - 1 (the image's last row): mb_h + 1 rows. So rgba is placed that many rows
 * before the window, the rows land in the window, and last_y says how many were completed.
 * (Address arithmetic in uintptr_t: wasm32 addresses wrap, and the emitters add y * stride back.)
 */
static int StreamPut(const VP8Io *io) {
  Stream *const s = (Stream *)io->opaque;
  const int first = s->params.last_y;
  const size_t needed = (size_t)(io->mb_h + 1) * (size_t)s->stride;
  int count;
  if (needed > s->window_bytes) {
    free(s->window);
    s->window = (uint8_t *)malloc(needed);
    s->window_bytes = s->window ? needed : 0;
    if (s->window == NULL) return 0;
  }
  s->output.u.RGBA.rgba = (uint8_t *)((uintptr_t)s->window - (uintptr_t)first * (uintptr_t)s->stride);
  s->output.u.RGBA.size = needed;
  if (!s->custom_put(io)) return 0;
  count = s->params.last_y - first;
  return count <= 0 || s->sink->rows(s->sink, s->window, first, count, s->stride);
}

/* webp_dec.c's DecodeInto for a VP8 bitstream, with StreamPut and no output frame. */
static int decode_lossy(const WebPHeaderStructure *headers, int channels, RowSink *sink) {
  Stream s;
  VP8Io io;
  VP8Decoder *dec;
  int result = 0;
  memset(&s, 0, sizeof(s));
  WebPResetDecParams(&s.params);
  s.params.output = &s.output; /* options NULL: libwebp's defaults, fancy upsampling included */
  s.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
  s.output.is_external_memory = 1;
  s.sink = sink;
  VP8InitIo(&io);
  io.data = headers->data + headers->offset;
  io.data_size = headers->data_size - headers->offset;
  WebPInitCustomIo(&s.params, &io);
  s.custom_put = io.put;
  io.put = StreamPut;

  dec = VP8New();
  if (dec == NULL) return fail("", VP8_STATUS_OUT_OF_MEMORY);
  dec->alpha_data_ = headers->alpha_data;
  dec->alpha_data_size_ = headers->alpha_data_size;
  if (!VP8GetHeaders(dec, &io)) {
    result = fail(dec->error_msg_, dec->status_);
  } else {
    s.output.width = io.width;
    s.output.height = io.height;
    s.stride = io.width * channels;
    s.output.u.RGBA.stride = s.stride;
    dec->mt_method_ = 0; /* no threads in wasm */
    VP8InitDithering(NULL, dec);
    if (!VP8Decode(dec, &io)) {
      result = fail(dec->error_msg_, dec->status_);
    } else if (s.params.last_y != io.height) {
      result = fail("lossy WebP decoded fewer rows than its height", VP8_STATUS_BITSTREAM_ERROR);
    }
  }
  VP8Delete(dec);
  free(s.window);
  return result;
}

/* ---- lossless: libwebp's VP8L decoder, 16 output rows at a time ---- */

/* vp8l_dec.c's NUM_ARGB_CACHE_ROWS: ProcessRows converts at most this many rows at a time. */
#define LOSSLESS_ROWS 16

typedef struct {
  WebPDecParams params; /* first: the rows_done hook gets &params */
  WebPDecBuffer output;
  uint8_t *window;
  int stride;
  int next; /* rows handed on so far */
  int refused; /* the sink refused rows: the rest are dropped and the decode fails */
  RowSink *sink;
} Lossless;

/*
 * patches/libwebp-1.2.4-lossless-rows.patch: VP8L's ProcessRows has written rows [y, y + n) at
 * output->u.RGBA.rgba + y * stride, which the previous call placed at the window. They go on,
 * and the window is placed for the next batch (at most LOSSLESS_ROWS rows).
 */
static void LosslessRows(WebPDecParams *const p, int y, int n) {
  Lossless *const l = (Lossless *)p;
  if (!l->refused && (y != l->next || n > LOSSLESS_ROWS ||
                      !l->sink->rows(l->sink, l->window, y, n, l->stride)))
    l->refused = 1;
  l->next = y + n;
  l->output.u.RGBA.rgba = (uint8_t *)((uintptr_t)l->window - (uintptr_t)l->next * (uintptr_t)l->stride);
}

/* webp_dec.c's DecodeInto for a VP8L bitstream, with the rows_done hook and no output frame. */
static int decode_lossless(const WebPHeaderStructure *headers, int channels, RowSink *sink) {
  Lossless l;
  VP8Io io;
  VP8LDecoder *dec;
  int result = 0;
  memset(&l, 0, sizeof(l));
  WebPResetDecParams(&l.params);
  l.params.output = &l.output;
  l.params.rows_done = LosslessRows;
  l.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
  l.output.is_external_memory = 1;
  l.sink = sink;
  VP8InitIo(&io);
  io.data = headers->data + headers->offset;
  io.data_size = headers->data_size - headers->offset;
  WebPInitCustomIo(&l.params, &io);

  dec = VP8LNew();
  if (dec == NULL) return fail("", VP8_STATUS_OUT_OF_MEMORY);
  if (!VP8LDecodeHeader(dec, &io)) {
    result = fail("cannot decode lossless WebP", dec->status_);
  } else {
    l.stride = io.width * channels;
    l.window = (uint8_t *)malloc((size_t)LOSSLESS_ROWS * (size_t)l.stride);
    if (l.window == NULL) {
      result = fail("", VP8_STATUS_OUT_OF_MEMORY);
    } else {
      l.output.width = io.width;
      l.output.height = io.height;
      l.output.u.RGBA.rgba = l.window;
      l.output.u.RGBA.stride = l.stride;
      l.output.u.RGBA.size = (size_t)LOSSLESS_ROWS * (size_t)l.stride;
      if (!VP8LDecodeImage(dec)) {
        result = fail("cannot decode lossless WebP", dec->status_);
      } else if (l.refused) {
        result = fail("", VP8_STATUS_USER_ABORT);
      } else if (l.next != io.height) {
        result = fail("lossless WebP decoded fewer rows than its height", VP8_STATUS_BITSTREAM_ERROR);
      }
    }
  }
  VP8LDelete(dec);
  free(l.window);
  return result;
}

/* A still image (or an animation's frame: ALPH + VP8, or VP8L), as RGBA or RGB rows. */
static int decode_still(const uint8_t *data, size_t size, int channels, RowSink *sink) {
  WebPHeaderStructure headers;
  VP8StatusCode status;
  memset(&headers, 0, sizeof(headers));
  headers.data = data;
  headers.data_size = size;
  headers.have_all_data = 1;
  status = WebPParseHeaders(&headers);
  if (status != VP8_STATUS_OK) return fail("cannot parse WebP headers", status);
  if (headers.is_lossless) return decode_lossless(&headers, channels, sink);
  return decode_lossy(&headers, channels, sink);
}

/* ---- animation: the first frame on its canvas ---- */

typedef struct {
  RowSink base;
  uint8_t *row; /* one canvas row, RGBA */
  int width, height, x, y, frame_width;
  int next; /* canvas rows emitted so far */
} Canvas;

static int canvas_blank_until(Canvas *c, int end) {
  memset(c->row, 0, (size_t)c->width * 4);
  for (; c->next < end; c->next++)
    if (!ferry_webp_rows(c->row, c->next, 1, c->width * 4)) return 0;
  return 1;
}

/*
 * The first frame goes onto a fully transparent canvas. libvips (sharp) copies its pixels there,
 * or with WEBP_MUX_BLEND blends them over the transparent canvas, which leaves them as they are:
 * either way, the frame's RGBA inside its rectangle and (0, 0, 0, 0) around it.
 */
static int canvas_rows(RowSink *sink, const uint8_t *rows, int first, int count, int stride) {
  Canvas *const c = (Canvas *)sink;
  int i;
  for (i = 0; i < count; i++) {
    if (!canvas_blank_until(c, c->y + first + i)) return 0;
    memset(c->row, 0, (size_t)c->width * 4);
    memcpy(c->row + (size_t)c->x * 4, rows + (size_t)i * stride, (size_t)c->frame_width * 4);
    if (!ferry_webp_rows(c->row, c->next, 1, c->width * 4)) return 0;
    c->next++;
  }
  return 1;
}

static int decode_first_frame(const uint8_t *data, size_t size) {
  WebPData webp = {data, size};
  WebPDemuxer *demux = WebPDemux(&webp);
  WebPIterator iter;
  Canvas canvas;
  int result;
  if (demux == NULL) return fail("cannot parse animated WebP", VP8_STATUS_BITSTREAM_ERROR);
  if (!WebPDemuxGetFrame(demux, 1, &iter)) {
    WebPDemuxDelete(demux);
    return fail("animated WebP has no frame", VP8_STATUS_BITSTREAM_ERROR);
  }
  memset(&canvas, 0, sizeof(canvas));
  canvas.base.rows = canvas_rows;
  canvas.width = (int)WebPDemuxGetI(demux, WEBP_FF_CANVAS_WIDTH);
  canvas.height = (int)WebPDemuxGetI(demux, WEBP_FF_CANVAS_HEIGHT);
  canvas.x = iter.x_offset;
  canvas.y = iter.y_offset;
  canvas.frame_width = iter.width;
  canvas.row = (uint8_t *)malloc((size_t)canvas.width * 4);
  if (canvas.row == NULL) {
    result = fail("", VP8_STATUS_OUT_OF_MEMORY);
  } else if (iter.x_offset + iter.width > canvas.width || iter.y_offset + iter.height > canvas.height) {
    result = fail("animation frame outside its canvas", VP8_STATUS_BITSTREAM_ERROR);
  } else {
    result = decode_still(iter.fragment.bytes, iter.fragment.size, 4, &canvas.base);
    if (result == 0 && !canvas_blank_until(&canvas, canvas.height)) result = fail("", VP8_STATUS_USER_ABORT);
  }
  free(canvas.row);
  WebPDemuxReleaseIterator(&iter);
  WebPDemuxDelete(demux);
  return result;
}

/* ---- the exports ---- */

/*
 * Reads the features of the `size` bytes in the input buffer into info: canvas width and height,
 * the channels ferry_webp_decode emits (4 with alpha or for an animation, else 3), the format
 * (1 lossy, 2 lossless, 0 animation), the frame count, whether it has alpha. 0 on success.
 */
EMSCRIPTEN_KEEPALIVE int ferry_webp_header(size_t size) {
  WebPBitstreamFeatures features;
  VP8StatusCode status = WebPGetFeatures(input, size, &features);
  if (status != VP8_STATUS_OK) return fail("cannot read WebP header", status);
  info[INFO_WIDTH] = features.width;
  info[INFO_HEIGHT] = features.height;
  info[INFO_CHANNELS] = features.has_alpha || features.has_animation ? 4 : 3;
  info[INFO_FORMAT] = features.has_animation ? 0 : features.format;
  info[INFO_FRAMES] = 1;
  info[INFO_HAS_ALPHA] = features.has_alpha;
  if (features.has_animation) {
    WebPData webp = {input, size};
    WebPDemuxer *demux = WebPDemux(&webp);
    if (demux == NULL) return fail("cannot parse animated WebP", VP8_STATUS_BITSTREAM_ERROR);
    info[INFO_FRAMES] = (int)WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT);
    WebPDemuxDelete(demux);
  }
  return 0;
}

/*
 * Decodes the `size` bytes in the input buffer (the first frame of an animation), handing rows
 * to JS top to bottom: info[INFO_CHANNELS] bytes a pixel, info[INFO_WIDTH] pixels a row. 0 on
 * success, else -1 with the reason in the message buffer.
 */
EMSCRIPTEN_KEEPALIVE int ferry_webp_decode(size_t size) {
  RowSink sink = {to_js};
  if (ferry_webp_header(size)) return -1;
  if (info[INFO_FORMAT] == 0) return decode_first_frame(input, size);
  return decode_still(input, size, info[INFO_CHANNELS], &sink);
}

/* Frees the input buffer (the next decode allocates it again). */
EMSCRIPTEN_KEEPALIVE void ferry_webp_release(void) {
  free(input);
  input = NULL;
  input_capacity = 0;
}
