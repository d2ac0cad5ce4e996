/*
 * Ferry's JPEG decoder for WebAssembly: libjpeg-turbo's TurboJPEG API with its DCT-domain
 * scaling (M/8 for M = 1..8), so a 12-megapixel photo decodes straight to the size the model
 * needs without a full-resolution frame ever existing. Built by scripts/build-wasm.mjs.
 *
 * One decoder per wasm instance; callers serialise decodes (JS is single-threaded and every
 * call below is synchronous). Buffers are kept between calls and only grow, so a steady stream
 * of uploads reuses the same wasm memory instead of fragmenting it.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>
#include "jpeglib.h"
#include "turbojpeg.h"

static tjhandle handle = NULL;
static unsigned char *input = NULL;
static unsigned long input_capacity = 0;
static unsigned char *output = NULL;
static unsigned long output_capacity = 0;
/* width, height, subsampling, colorspace of the last header; width, height of the last decode. */
static int info[6];
static char message[256]; /* JMSG_LENGTH_MAX is 200 */

/*
 * Records why a call failed. TurboJPEG leaves the decompressor mid-stream after an error (its
 * header path returns before jpeg_abort), so the handle is dropped and the next call starts a
 * fresh one rather than reading the next upload as the rest of this one.
 */
static int fail(const char *text) {
  strncpy(message, text, sizeof(message) - 1);
  message[sizeof(message) - 1] = 0;
  if (handle) {
    tjDestroy(handle);
    handle = NULL;
  }
  return -1;
}

static int ensure_handle(void) {
  if (handle) return 0;
  handle = tjInitDecompress();
  return handle ? 0 : fail(tjGetErrorStr2(NULL));
}

/* Returns a buffer of `size` bytes for the caller to copy the JPEG into (NULL when out of memory). */
EMSCRIPTEN_KEEPALIVE unsigned char *ferry_jpeg_input(unsigned long size) {
  if (size > input_capacity) {
    free(input);
    input = (unsigned char *)malloc(size);
    input_capacity = input ? size : 0;
  }
  return input;
}

static unsigned char *ferry_jpeg_output(unsigned long needed) {
  if (needed > output_capacity) {
    free(output);
    output = (unsigned char *)malloc(needed);
    output_capacity = output ? needed : 0;
  }
  return output;
}

EMSCRIPTEN_KEEPALIVE int *ferry_jpeg_info(void) { return info; }
EMSCRIPTEN_KEEPALIVE const char *ferry_jpeg_message(void) { return message; }

/* Reads the header of the `size` bytes in the input buffer into info[0..3]. 0 on success. */
EMSCRIPTEN_KEEPALIVE int ferry_jpeg_header(unsigned long size) {
  if (ensure_handle()) return -1;
  if (tjDecompressHeader3(handle, input, size, &info[0], &info[1], &info[2], &info[3]))
    return fail(tjGetErrorStr2(handle));
  return 0;
}

/*
 * CMYK to RGB without a colour profile, in place (each 3-byte write lands at or before the
 * 4-byte read it comes from). Adobe's CMYK JPEGs, nearly all there are, store the channels
 * inverted (255 = no ink), so R = C * K / 255 rounded: the plain formula any runtime can repeat,
 * since Workers and pages have no colour management to apply an ICC profile with.
 */
static void cmyk_to_rgb(unsigned char *pixels, unsigned long count) {
  unsigned long i;
  for (i = 0; i < count; i++) {
    unsigned int c = pixels[4 * i], m = pixels[4 * i + 1], y = pixels[4 * i + 2], k = pixels[4 * i + 3];
    pixels[3 * i] = (unsigned char)((c * k + 127) / 255);
    pixels[3 * i + 1] = (unsigned char)((m * k + 127) / 255);
    pixels[3 * i + 2] = (unsigned char)((y * k + 127) / 255);
  }
}

static unsigned char *decode_eighth(unsigned long size, int strict);

/*
 * Decodes the input buffer to interleaved 8-bit RGB at eighths/8 scale (eighths 1..8; libjpeg
 * rounds each scaled side up). TurboJPEG picks its scaling factor from the output size, and
 * every M/8 is in its list (4/8 as 1/2, 2/8 as 1/4: the same scaled IDCT); 1/8 goes through
 * decode_eighth below. `strict` stops at the first libjpeg warning (truncated or corrupt data)
 * instead of returning grey-filled pixels. Returns the output pointer (width and height in
 * info[4], info[5]) or NULL with the reason in the message buffer.
 */
EMSCRIPTEN_KEEPALIVE unsigned char *ferry_jpeg_decode_scaled(unsigned long size, int eighths, int strict) {
  if (eighths < 1 || eighths > 8) {
    fail("scale must be 1/8 to 8/8");
    return NULL;
  }
  if (eighths == 1) return decode_eighth(size, strict);
  if (ferry_jpeg_header(size)) return NULL;
  tjscalingfactor factor = {eighths, 8};
  int width = TJSCALED(info[0], factor);
  int height = TJSCALED(info[1], factor);
  /* CMYK and YCCK (Adobe) files decode to CMYK, 4 bytes a pixel, then become RGB in place. */
  int cmyk = info[3] == TJCS_CMYK || info[3] == TJCS_YCCK;
  unsigned long pixels = (unsigned long)width * (unsigned long)height;
  if (!ferry_jpeg_output(pixels * (cmyk ? 4 : 3))) {
    fail("out of memory for the decoded image");
    return NULL;
  }
  int flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS | (strict ? TJFLAG_STOPONWARNING : 0);
  if (tjDecompress2(handle, input, size, output, width, 0, height, cmyk ? TJPF_CMYK : TJPF_RGB, flags)) {
    if (strict || tjGetErrorCode(handle) != TJERR_WARNING) {
      fail(tjGetErrorStr2(handle));
      return NULL;
    }
  }
  if (cmyk) cmyk_to_rgb(output, pixels);
  info[4] = width;
  info[5] = height;
  return output;
}

/* ---- 1/8: libjpeg's own API, for the settings TurboJPEG does not expose ---- */

/* patches/libjpeg-turbo-2.1.5-compact-coefficients.patch (jdcoefct.c) */
extern int ferry_jpeg_compact_coefficients;

/* As TurboJPEG's TJFLAG_LIMITSCANS: a progressive file of thousands of tiny scans is refused. */
#define MAX_SCANS 500

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  int strict;
} eighth_error;

static void eighth_on_error(j_common_ptr cinfo) {
  (*cinfo->err->format_message)(cinfo, message);
  longjmp(((eighth_error *)cinfo->err)->jump, 1);
}
static void eighth_on_message(j_common_ptr cinfo, int level) {
  if (level < 0 && ((eighth_error *)cinfo->err)->strict) eighth_on_error(cinfo);
}
static void eighth_on_output(j_common_ptr cinfo) { (void)cinfo; }
static void eighth_on_progress(j_common_ptr cinfo) {
  if (((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
    snprintf(message, sizeof(message), "progressive JPEG has more than %d scans", MAX_SCANS);
    longjmp(((eighth_error *)cinfo->err)->jump, 1);
  }
}

/*
 * Decodes the input buffer at 1/8 to RGB, with TurboJPEG's settings (accurate integer IDCT, fancy
 * upsampling, RGB or CMYK out, at most 500 scans) and two of its own, both for progressive files:
 *  - block smoothing off. src/progressive.ts drops the scans a 1/8 decode does not read (luma's
 *    AC scans); libjpeg would otherwise take their absence for an unfinished download and
 *    estimate the missing AC data, DC included, from the neighbouring blocks (jdcoefct.c,
 *    decompress_smooth_data). For a whole file, every scan present, it never smooths, so the
 *    pixels are TurboJPEG's either way;
 *  - compact coefficients (the patch): only those the 1x1 and 2x2 IDCTs read are stored, so a
 *    12-MP progressive photo holds ~7 MB of coefficients instead of 37 MB.
 * Returns the output pointer (size in info[4], info[5]) or NULL with the reason in message.
 */
static unsigned char *decode_eighth(unsigned long size, int strict) {
  struct jpeg_decompress_struct cinfo;
  struct jpeg_progress_mgr progress;
  eighth_error err;
  unsigned char *volatile result = NULL;
  int cmyk;
  memset(&err, 0, sizeof(err));
  memset(&progress, 0, sizeof(progress));
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = eighth_on_error;
  err.pub.emit_message = eighth_on_message;
  err.pub.output_message = eighth_on_output;
  err.strict = strict;
  progress.progress_monitor = eighth_on_progress;
  if (setjmp(err.jump)) {
    ferry_jpeg_compact_coefficients = 0;
    jpeg_destroy_decompress(&cinfo);
    return NULL;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, input, size);
  jpeg_read_header(&cinfo, TRUE);
  info[0] = (int)cinfo.image_width;
  info[1] = (int)cinfo.image_height;
  cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.scale_num = 1;
  cinfo.scale_denom = 8;
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_block_smoothing = FALSE;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGB;
  /* Read by jinit_d_coef_controller, inside jpeg_start_decompress, and by nothing after. */
  ferry_jpeg_compact_coefficients = 1;
  jpeg_start_decompress(&cinfo);
  ferry_jpeg_compact_coefficients = 0;
  {
    unsigned long stride = (unsigned long)cinfo.output_width * (cmyk ? 4 : 3);
    unsigned long pixels = (unsigned long)cinfo.output_width * cinfo.output_height;
    if (!ferry_jpeg_output(stride * cinfo.output_height)) {
      strcpy(message, "out of memory for the decoded image");
      jpeg_destroy_decompress(&cinfo);
      return NULL;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = output + stride * cinfo.output_scanline;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (cmyk) cmyk_to_rgb(output, pixels);
    info[4] = (int)cinfo.output_width;
    info[5] = (int)cinfo.output_height;
    result = output;
  }
  jpeg_destroy_decompress(&cinfo);
  return result;
}

/* Frees the buffers (the next decode allocates them again). */
EMSCRIPTEN_KEEPALIVE void ferry_jpeg_release(void) {
  free(input);
  free(output);
  input = output = NULL;
  input_capacity = output_capacity = 0;
}
