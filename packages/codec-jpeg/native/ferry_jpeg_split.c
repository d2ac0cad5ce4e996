/*
 * One JPEG decoded by two threads: the same pixels as ferry_jpeg_decode_scaled, in a bit more
 * than half the time, for the Node server's big phone photos (a 12-MP photo at 1/8 spends ~90 %
 * of its decode in the Huffman decoder, which libjpeg runs on one thread).
 *
 * The entropy-coded data of a baseline JPEG without restart markers cannot be cut at a known
 * MCU boundary: where the second half's first MCU starts is only known once the first half is
 * decoded. But Huffman codes resynchronise: a decoder started at an arbitrary byte, with a
 * guessed state (an MCU starts here), soon agrees with the true parse on every symbol and
 * block, and from then on decodes exactly what a sequential decoder would, except the DC
 * predictors, which the stream below stores as differences so they need no repair.
 *
 *   worker instance  ferry_jpeg_split_speculate: from byte S (a fraction of the data) to the
 *                    end, with a guessed start; records where each MCU it decodes starts
 *                    (bit position relative to S) and where its coefficients are.
 *   main instance    ferry_jpeg_split_begin: the exact decode from the start up to S;
 *                    ferry_jpeg_split_finish (with the worker's result copied in): goes on past
 *                    S until one of its MCU starts is one the worker recorded (same bit, same
 *                    MCU start: the same state, so the same parse from there on), then runs
 *                    libjpeg's own IDCT, upsampling and colour conversion on the coefficients
 *                    of both halves through a decode_mcu that reads them back.
 *
 * Correctness never depends on the guess: the worker's part is used only from a state the exact
 * decoder reached itself. Everything unusual — progressive or arithmetic coding, restart
 * markers, a bad Huffman code, a marker before the last MCU, bytes between the last MCU and
 * the marker, any libjpeg warning — returns "not here" and the caller decodes the usual way,
 * which gives libjpeg's own answer (error, warning or pixels). src/split-decode.test.ts holds
 * the pixels to the sequential decoder's at every scale and at hundreds of split points.
 */
#define JPEG_INTERNALS
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>
#include "jinclude.h"
#include "jpeglib.h"
#include "jdhuff.h"
#include "jpegcomp.h"
#include "ferry_jpeg.h"

/* ---- bit reader over entropy-coded bytes (FF 00 stuffing; a marker ends the data) ---- */

typedef struct {
  const JOCTET *p;         /* next byte to load */
  uint64_t buf;            /* bits not yet consumed are the low `bits` bits */
  int bits;
  uint64_t loaded;         /* bits loaded so far: data, then zeros after the marker */
  uint64_t real_end;       /* `loaded` when the marker was met (all ones before) */
  const JOCTET *marker;    /* the 0xFF that starts the marker, once met */
} bit_reader;

#define POS(r) ((r)->loaded - (uint64_t)(r)->bits)
#define PEEK(r, n) ((int)((r)->buf >> ((r)->bits - (n))) & ((1 << (n)) - 1))

/* Byte by byte, for stuffed bytes and the marker: tops the buffer up to at least 57 bits; past
   a marker it feeds zeros, as libjpeg does. */
static __attribute__((noinline)) bit_reader fill_slow(bit_reader r) {
  while (r.bits <= 56) {
    unsigned int c = 0;
    if (!r.marker) {
      c = r.p[0];
      if (c != 0xFF) {
        r.p++;
      } else if (r.p[1] == 0) {
        r.p += 2;
      } else {
        r.marker = r.p;
        r.real_end = r.loaded;
        c = 0;
      }
    }
    r.buf = (r.buf << 8) | c;
    r.bits += 8;
    r.loaded += 8;
  }
  return r;
}

/* Called with fewer than 32 bits left: four bytes at once when none of them is 0xFF. */
static inline void fill(bit_reader *r) {
  uint32_t w;
  memcpy(&w, r->p, 4);
  if (!r->marker && !((~w - 0x01010101u) & w & 0x80808080u)) {
    r->buf = (r->buf << 32) | __builtin_bswap32(w);
    r->p += 4;
    r->bits += 32;
    r->loaded += 32;
  } else {
    *r = fill_slow(*r);
  }
}

static void reader_start(bit_reader *r, const JOCTET *at) {
  memset(r, 0, sizeof(*r));
  r->p = at;
  r->real_end = ~(uint64_t)0;
}

/* One Huffman symbol (libjpeg's HUFF_DECODE, Figure F.16), or -1 for a code no table has. */
static inline int decode_symbol(bit_reader *r, const d_derived_tbl *t) {
  int look = t->lookup[PEEK(r, HUFF_LOOKAHEAD)];
  int nb = look >> HUFF_LOOKAHEAD;
  JLONG code;
  if (nb <= HUFF_LOOKAHEAD) {
    r->bits -= nb;
    return look & 0xFF;
  }
  code = PEEK(r, nb);
  while (code > t->maxcode[nb]) {
    nb++;
    code = (JLONG)((r->buf >> (r->bits - nb)) & ((1u << nb) - 1));
  }
  if (nb > 16) return -1;
  r->bits -= nb;
  return t->pub->huffval[(int)(code + t->valoffset[nb]) & 0xFF];
}

static inline int extend(int x, int s) { return x < (1 << (s - 1)) ? x - (1 << s) + 1 : x; }

/*
 * The coefficient stream, in int16s, block after block in file order:
 *   DC difference, then, for blocks whose AC coefficients libjpeg keeps (ac_needed),
 *   (zigzag index, value) pairs and a 0.
 * Blocks whose AC coefficients are discarded (luma at 1/8) take one int16.
 */
typedef struct {
  int blocks;                          /* blocks per MCU */
  const d_derived_tbl *dc[D_MAX_BLOCKS_IN_MCU];
  const d_derived_tbl *ac[D_MAX_BLOCKS_IN_MCU];
  int ac_needed[D_MAX_BLOCKS_IN_MCU];
  int dc_needed[D_MAX_BLOCKS_IN_MCU];
  int component[D_MAX_BLOCKS_IN_MCU];  /* MCU_membership */
} mcu_layout;

#define MAX_INT16_PER_BLOCK 130 /* DC, 64 pairs at most (k can pass 63 in corrupt data), 0 */

/* Decodes one MCU into *out. 0, or -1 for a bad code. */
static int decode_mcu_into(bit_reader *reader, const mcu_layout *m, JCOEF **out) {
  bit_reader local = *reader, *r = &local;
  JCOEF *o = *out;
  int blkn;
  for (blkn = 0; blkn < m->blocks; blkn++) {
    const d_derived_tbl *dc = m->dc[blkn], *ac = m->ac[blkn];
    int s, k, l;
    if (r->bits < 32) fill(r);
    l = PEEK(r, HUFF_DCFAST_BITS);
    if (dc->dcfast[l]) {
      s = dc->dcvalue[l];
      r->bits -= dc->dcfast[l];
    } else {
      s = decode_symbol(r, dc);
      if (s < 0) goto bad;
      if (s) {
        int x = PEEK(r, s);
        r->bits -= s;
        s = extend(x, s);
      }
    }
    *o++ = (JCOEF)s;
    if (m->ac_needed[blkn]) {
      for (k = 1; k < DCTSIZE2; k++) {
        int look, e, rr;
        if (r->bits < 32) fill(r);
        look = PEEK(r, HUFF_FASTAC_BITS);
        e = ac->acfast[look];
        if (e) {
          r->bits -= e & 31;
          if (e & HUFF_FASTAC_EOB) break;
          k += (e >> 5) & 15;
          if (e & HUFF_FASTAC_COEF) {
            *o++ = (JCOEF)k;
            *o++ = (JCOEF)ac->acvalue[look];
          }
          continue;
        }
        s = decode_symbol(r, ac);
        if (s < 0) goto bad;
        rr = s >> 4;
        s &= 15;
        if (s) {
          int x = PEEK(r, s);
          r->bits -= s;
          k += rr;
          *o++ = (JCOEF)k;
          *o++ = (JCOEF)extend(x, s);
        } else {
          if (rr != 15) break;
          k += 15;
        }
      }
      *o++ = 0;
    } else {
      /* Parsed and discarded: several symbols per lookup while they stay inside the block,
         as in the patched jdhuff.c. */
      k = 1;
      while (k < DCTSIZE2) {
        int e, rr;
        if (r->bits < 32) fill(r);
        e = ac->acskip[PEEK(r, HUFF_ACSKIP_BITS)];
        if (e) {
          int adv = (e >> 5) & 127;
          if (e & HUFF_ACSKIP_EOB) {
            if (k + adv < DCTSIZE2) {
              r->bits -= e & 31;
              break;
            }
          } else if (k + adv <= DCTSIZE2) {
            r->bits -= e & 31;
            k += adv;
            continue;
          }
        }
        s = decode_symbol(r, ac);
        if (s < 0) goto bad;
        rr = s >> 4;
        s &= 15;
        if (s) {
          k += rr;
          r->bits -= s;
        } else {
          if (rr != 15) break;
          k += 15;
        }
        k++;
      }
    }
  }
  *reader = local;
  *out = o;
  return 0;
bad:
  *reader = local;
  *out = o;
  return -1;
}

/* Loads on until the marker is met (dropping what is buffered), so r->marker and r->real_end
   say where it is. */
static void load_to_marker(bit_reader *r) {
  while (!r->marker) {
    r->bits = 0;
    *r = fill_slow(*r);
  }
}

/* Only the last byte's padding between the bit position `end` and the marker at `real_end`:
   anything more is libjpeg's to handle (a warning), so not for the split path. */
static int only_padding(uint64_t end, uint64_t real_end) { return real_end >= end && real_end - end < 8; }

/*
 * At a restart boundary (before MCU `index`, a multiple of the interval): only the last byte's
 * padding may lie before the marker, which must be RST(index / interval - 1 mod 8); the reader
 * then starts after it. 0, or -1 (libjpeg would warn or resynchronise: not for the split path).
 */
static int restart(bit_reader *r, uint32_t index, unsigned int interval) {
  uint64_t pos = POS(r);
  load_to_marker(r);
  if (!only_padding(pos, r->real_end)) return -1;
  if (r->marker[1] != 0xD0 + ((index / interval - 1) & 7)) return -1;
  {
    uint64_t loaded = r->real_end;
    reader_start(r, r->marker + 2);
    r->loaded = loaded;
  }
  return 0;
}

#define AT_RESTART(index, interval) ((interval) && (index) % (interval) == 0)

/* ---- growable buffers ---- */

typedef struct {
  JCOEF *data;
  size_t len, cap; /* in int16s */
} coef_stream;

static int stream_reserve(coef_stream *s, size_t more) {
  if (s->len + more <= s->cap) return 0;
  size_t cap = s->cap ? s->cap : 1 << 16;
  while (cap < s->len + more) cap *= 2;
  JCOEF *data = (JCOEF *)realloc(s->data, cap * sizeof(JCOEF));
  if (!data) return -1;
  s->data = data;
  s->cap = cap;
  return 0;
}

/* MCU `index`, exactly, onto the stream, after its restart marker when one is due there
   (`restart_due`: not at the reader's first MCU). 0, or -1 on a bad code, a marker out of
   place or data that ends early. */
static int exact_mcu_into(bit_reader *r, const mcu_layout *m, coef_stream *stream, uint32_t index,
                          unsigned int interval, int restart_due) {
  JCOEF *out;
  if (restart_due && AT_RESTART(index, interval) && restart(r, index, interval)) return -1;
  if (stream_reserve(stream, (size_t)m->blocks * MAX_INT16_PER_BLOCK)) return -1;
  out = stream->data + stream->len;
  if (decode_mcu_into(r, m, &out)) return -1;
  if (r->marker && POS(r) > r->real_end) return -1;
  stream->len = (size_t)(out - stream->data);
  return 0;
}

typedef struct {
  uint32_t rel;    /* bit position, relative to S, where this MCU starts */
  uint32_t offset; /* its first int16 in the stream */
  uint32_t index;  /* MCUs decoded before it (in the worker's count) */
} mcu_record;

/* ---- libjpeg set-up shared by both sides ---- */

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
} split_error;

/* Any libjpeg error or warning leaves the split path: the caller decodes the usual way. */
static void on_error(j_common_ptr cinfo) { longjmp(((split_error *)cinfo->err)->jump, 1); }
static void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) longjmp(((split_error *)cinfo->err)->jump, 1);
}
static void on_output(j_common_ptr cinfo) { (void)cinfo; }

static const struct { int num, denom; } tj_factors[] = {
  {2, 1}, {15, 8}, {7, 4}, {13, 8}, {3, 2}, {11, 8}, {5, 4}, {9, 8},
  {1, 1}, {7, 8}, {3, 4}, {5, 8}, {1, 2}, {3, 8}, {1, 4}, {1, 8}};
#define TJ_SCALED(d, num, denom) (((d) * (num) + (denom) - 1) / (denom))

typedef struct {
  struct jpeg_decompress_struct cinfo;
  split_error err;
  int live;                /* cinfo created */
  mcu_layout layout;
  const JOCTET *data;      /* the input buffer */
  unsigned long size;
  const JOCTET *entropy;   /* first byte of entropy-coded data */
  const JOCTET *split;     /* S */
  uint32_t total_mcus;
  /* With restart markers (restart_interval > 0) the cut is exact: S is just after an RST
     marker, where MCU first_mcu starts with fresh DC predictors. 0 without them. */
  uint32_t first_mcu;
} split_side;

static void side_end(split_side *side) {
  if (side->live) jpeg_destroy_decompress(&side->cinfo);
  side->live = 0;
}

/*
 * With restart markers: S moves to just after the first RST marker at or past the fraction,
 * and first_mcu is the MCU that starts there (the k-th marker, from 0, follows MCU
 * (k + 1) * interval - 1). Any other marker on the way, or a misnumbered RST: -1.
 */
static int cut_at_restart(split_side *side) {
  const JOCTET *p = side->entropy, *end = side->data + side->size;
  uint32_t k = 0, interval = side->cinfo.restart_interval;
  while (p + 1 < end) {
    const JOCTET *ff = (const JOCTET *)memchr(p, 0xFF, (size_t)(end - p - 1));
    int m;
    if (!ff) return -1;
    m = ff[1];
    if (m == 0) {
      p = ff + 2;
      continue;
    }
    if (m < 0xD0 || m > 0xD7 || (uint32_t)(m - 0xD0) != (k & 7)) return -1;
    if (ff >= side->split) {
      uint64_t first = ((uint64_t)k + 1) * interval;
      if (first >= side->total_mcus) return -1;
      side->split = ff + 2;
      side->first_mcu = (uint32_t)first;
      return 0;
    }
    k++;
    p = ff + 2;
  }
  return -1;
}

/* Set-up both sides do the same way, so they agree on S. 0, or -1: not for the split path.
   Called inside the caller's setjmp. */
static int side_setup(split_side *side, int eighths, int permille) {
  j_decompress_ptr cinfo = &side->cinfo;
  int i, blkn, width, height;
  JDIMENSION w, h;
  unsigned long entropy_bytes, at;

  jpeg_read_header(cinfo, TRUE);
  /* One interleaved Huffman scan holding every component, 8-bit (restart markers or not). */
  if (cinfo->progressive_mode || cinfo->arith_code || cinfo->data_precision != 8 ||
      cinfo->comps_in_scan != cinfo->num_components ||
      (cinfo->num_components != 1 && cinfo->num_components != 3) ||
      cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK)
    return -1;
  /* TurboJPEG's choice of factor for the size ferry_jpeg_decode_scaled asks for. */
  w = cinfo->image_width;
  h = cinfo->image_height;
  width = (int)TJ_SCALED(w, (JDIMENSION)eighths, 8u);
  height = (int)TJ_SCALED(h, (JDIMENSION)eighths, 8u);
  for (i = 0; i < (int)(sizeof(tj_factors) / sizeof(tj_factors[0])); i++)
    if ((int)TJ_SCALED(w, (JDIMENSION)tj_factors[i].num, (JDIMENSION)tj_factors[i].denom) <= width &&
        (int)TJ_SCALED(h, (JDIMENSION)tj_factors[i].num, (JDIMENSION)tj_factors[i].denom) <= height)
      break;
  if (i == (int)(sizeof(tj_factors) / sizeof(tj_factors[0]))) return -1;
  cinfo->scale_num = (unsigned int)tj_factors[i].num;
  cinfo->scale_denom = (unsigned int)tj_factors[i].denom;
  cinfo->out_color_space = JCS_EXT_RGB;
  jpeg_start_decompress(cinfo);
  if (cinfo->blocks_in_MCU > D_MAX_BLOCKS_IN_MCU) return -1;

  side->layout.blocks = cinfo->blocks_in_MCU;
  for (blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
    int ci = cinfo->MCU_membership[blkn];
    jpeg_component_info *comp = cinfo->cur_comp_info[ci];
    d_derived_tbl *dc = NULL, *ac = NULL;
    /* jdhuff.c's start_pass_huff_decoder, with tables of our own from the same function. */
    jpeg_make_d_derived_tbl(cinfo, TRUE, comp->dc_tbl_no, &dc);
    jpeg_make_d_derived_tbl(cinfo, FALSE, comp->ac_tbl_no, &ac);
    side->layout.dc[blkn] = dc;
    side->layout.ac[blkn] = ac;
    side->layout.component[blkn] = ci;
    side->layout.dc_needed[blkn] = comp->component_needed;
    side->layout.ac_needed[blkn] = comp->component_needed && comp->_DCT_scaled_size > 1;
  }
  side->total_mcus = (uint32_t)cinfo->MCUs_per_row * (uint32_t)cinfo->MCU_rows_in_scan;

  /* jpeg_read_header stopped right after the SOS marker segment. */
  side->entropy = cinfo->src->next_input_byte;
  entropy_bytes = side->size - (unsigned long)(side->entropy - side->data);
  if (entropy_bytes < 4096) return -1;
  at = (unsigned long)((double)entropy_bytes * permille / 1000.0);
  /* Not inside an FF 00 pair. */
  while (at < entropy_bytes && side->entropy[at - 1] == 0xFF) at++;
  if (at >= entropy_bytes) return -1;
  side->split = side->entropy + at;
  side->first_mcu = 0;
  if (cinfo->restart_interval) return cut_at_restart(side);
  return 0;
}

static int side_start(split_side *side, unsigned long size, int eighths, int permille) {
  side_end(side);
  memset(&side->err, 0, sizeof(side->err));
  side->cinfo.err = jpeg_std_error(&side->err.pub);
  side->err.pub.error_exit = on_error;
  side->err.pub.emit_message = on_message;
  side->err.pub.output_message = on_output;
  side->data = ferry_jpeg_input_data();
  side->size = size;
  /* Past the data, a marker: no reader runs off the end of the buffer. */
  memset((JOCTET *)side->data + size, 0xFF, FERRY_JPEG_INPUT_PAD);
  if (setjmp(side->err.jump)) {
    side_end(side);
    return -1;
  }
  jpeg_create_decompress(&side->cinfo);
  side->live = 1;
  jpeg_mem_src(&side->cinfo, side->data, size);
  if (side_setup(side, eighths, permille)) {
    side_end(side);
    return -1;
  }
  return 0;
}

/* ---- the worker's side ---- */

static split_side worker;
static coef_stream worker_stream;
static mcu_record *worker_records;
static size_t worker_record_cap;
/* [0] stream pointer, [1] stream int16s, [2] records pointer, [3] records, [4] MCUs complete,
   [5] 1 + position of the last bad code before [6] (0: none), [6] end of the last complete MCU,
   [7] marker position (bit, relative to S), [8] marker offset in the input (bytes) */
static uint32_t worker_result[9];

EMSCRIPTEN_KEEPALIVE uint32_t *ferry_jpeg_split_result(void) { return worker_result; }

/* Fills worker_result once the worker's reader `r` has met the marker. */
static void report(const split_side *side, const bit_reader *r, size_t records, uint32_t complete,
                   uint64_t last_bad, uint64_t end) {
  worker_result[0] = (uint32_t)(uintptr_t)worker_stream.data;
  worker_result[1] = (uint32_t)worker_stream.len;
  worker_result[2] = (uint32_t)(uintptr_t)worker_records;
  worker_result[3] = (uint32_t)records;
  worker_result[4] = complete;
  worker_result[5] = (uint32_t)last_bad;
  worker_result[6] = (uint32_t)end;
  worker_result[7] = (uint32_t)r->real_end;
  worker_result[8] = (uint32_t)(r->marker - side->data);
}

static int speculate(split_side *side) {
  const mcu_layout *m = &side->layout;
  bit_reader r;
  size_t records = 0;
  uint32_t complete = 0;
  /* last_bad_before_end: as last_bad when the last complete MCU ended. A bad code after it is
     the padding or the marker's zeros, which the exact decoder never reads. */
  uint64_t last_bad = 0, last_bad_before_end = 0, end = 0;

  reader_start(&r, side->split);
  worker_stream.len = 0;
  for (;;) {
    JCOEF *out;
    uint64_t start = POS(&r);
    if (r.marker && start >= r.real_end) break;
    if (start > 0xFFFFFFF0u) return -1;
    if (records == worker_record_cap) {
      size_t cap = worker_record_cap ? worker_record_cap * 2 : 4096;
      mcu_record *grown = (mcu_record *)realloc(worker_records, cap * sizeof(mcu_record));
      if (!grown) return -1;
      worker_records = grown;
      worker_record_cap = cap;
    }
    if (stream_reserve(&worker_stream, (size_t)m->blocks * MAX_INT16_PER_BLOCK)) return -1;
    worker_records[records].rel = (uint32_t)start;
    worker_records[records].offset = (uint32_t)worker_stream.len;
    worker_records[records].index = complete;
    records++;
    out = worker_stream.data + worker_stream.len;
    if (decode_mcu_into(&r, m, &out)) {
      /* Not a code: the guess was wrong (or the data is). Guess again one bit further on. */
      last_bad = POS(&r) + 1;
      if (r.bits < 32) fill(&r);
      r.bits -= 1;
      worker_stream.len = (size_t)(out - worker_stream.data);
      continue;
    }
    worker_stream.len = (size_t)(out - worker_stream.data);
    if (r.marker && POS(&r) > r.real_end) break; /* ran into the zeros past the marker */
    complete++;
    end = POS(&r);
    last_bad_before_end = last_bad;
  }
  report(side, &r, records, complete, last_bad_before_end, end);
  return 0;
}

/* With restart markers: the worker's half decoded exactly, from MCU first_mcu on. */
static int decode_after_restart(split_side *side) {
  unsigned int interval = side->cinfo.restart_interval;
  bit_reader r;
  uint32_t index;
  uint64_t end;

  reader_start(&r, side->split);
  worker_stream.len = 0;
  for (index = side->first_mcu; index < side->total_mcus; index++)
    if (exact_mcu_into(&r, &side->layout, &worker_stream, index, interval, index != side->first_mcu)) return -1;
  end = POS(&r);
  load_to_marker(&r);
  if (!worker_records) {
    worker_records = (mcu_record *)malloc(sizeof(mcu_record));
    if (!worker_records) return -1;
    worker_record_cap = 1;
  }
  worker_records[0].rel = 0;
  worker_records[0].offset = 0;
  worker_records[0].index = 0;
  report(side, &r, 1, side->total_mcus - side->first_mcu, 0, end);
  return 0;
}

/*
 * The worker's half: the input buffer holds `size` bytes of JPEG. 0 with ferry_jpeg_split_result
 * filled in, or -1 (not for the split path; the main side finds the same and decodes alone).
 */
EMSCRIPTEN_KEEPALIVE int ferry_jpeg_split_speculate(unsigned long size, int eighths, int permille) {
  int status;
  if (side_start(&worker, size, eighths, permille)) return -1;
  status = worker.first_mcu ? decode_after_restart(&worker) : speculate(&worker);
  side_end(&worker);
  return status;
}

/* ---- the main side ---- */

static split_side main_side;
static coef_stream main_stream;
static bit_reader main_reader;
static uint32_t main_done;       /* MCUs decoded exactly, in main_stream */
static uint64_t main_split_bits; /* unstuffed bits from the start of the data to S */
static unsigned char *main_output;
static mcu_record *copied_records;
static JCOEF *copied_stream;
static void *copied_area;
static size_t copied_capacity;
/* [0] 1 when the worker's half was used, [1] MCUs the main side decoded past S, [2] the MCU at
   which it switched to the worker's half, [3] output rows made before the worker's half came */
static uint32_t split_stats[4];

EMSCRIPTEN_KEEPALIVE uint32_t *ferry_jpeg_split_stats(void) { return split_stats; }

/*
 * libjpeg's output side (IDCT, upsampling, colour conversion) reads the coefficients back
 * through this decode_mcu: main_stream up to MCU `replay_switch_at`, the worker's stream from
 * there on. Until the worker's half is in (replay_ready), it stops where main_stream ends by
 * returning FALSE, libjpeg's way for a data source to suspend: the rows it can make are made
 * while the worker still decodes, and jpeg_read_scanlines resumes later exactly there.
 */
static size_t replay_at;           /* next int16 in the stream being read */
static int replay_in_worker;       /* reading copied_stream */
static uint32_t replay_mcu, replay_switch_at, replay_ready;
static int replay_dc[MAX_COMPS_IN_SCAN];
static size_t switch_offset;       /* where the worker's stream starts being used */

static boolean replay_decode_mcu(j_decompress_ptr cinfo, JBLOCKROW *MCU_data) {
  const mcu_layout *m = &main_side.layout;
  const JCOEF *p;
  int blkn;
  (void)cinfo;
  if (!replay_ready && replay_mcu >= main_done) return FALSE;
  if (replay_ready && replay_mcu == replay_switch_at && copied_stream && !replay_in_worker &&
      replay_switch_at < main_side.total_mcus) {
    replay_in_worker = 1;
    replay_at = switch_offset;
  }
  p = (replay_in_worker ? copied_stream : main_stream.data) + replay_at;
  /* Each restart interval starts with fresh DC predictors, as in jdhuff.c's process_restart. */
  if (AT_RESTART(replay_mcu, main_side.cinfo.restart_interval)) memset(replay_dc, 0, sizeof(replay_dc));
  {
    const JCOEF *start = p;
    for (blkn = 0; blkn < m->blocks; blkn++) {
      JBLOCKROW block = MCU_data ? MCU_data[blkn] : NULL;
      int ci = m->component[blkn];
      int diff = *p++;
      if (m->dc_needed[blkn]) {
        /* As jdhuff.c: an int that may wrap on corrupt data. */
        replay_dc[ci] = (int)((unsigned int)replay_dc[ci] + (unsigned int)diff);
        if (block) (*block)[0] = (JCOEF)replay_dc[ci];
      }
      if (m->ac_needed[blkn]) {
        int k;
        while ((k = *p++) != 0) {
          JCOEF v = *p++;
          if (block) (*block)[jpeg_natural_order[k]] = v;
        }
      }
    }
    replay_at += (size_t)(p - start);
  }
  replay_mcu++;
  return TRUE;
}

/* Makes output rows until libjpeg suspends or the image is done (its own setjmp: libjpeg
   errors land here). With a marker, then reads on from it to the end. 0, or -1. */
static int replay_rows(const JOCTET *marker) {
  j_decompress_ptr cinfo = &main_side.cinfo;
  size_t row_bytes = (size_t)cinfo->output_width * 3;
  if (setjmp(main_side.err.jump)) return -1;
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW rows[16];
    JDIMENSION row = cinfo->output_scanline, n = cinfo->output_height - row, i;
    if (n > 16) n = 16;
    for (i = 0; i < n; i++) rows[i] = main_output + (size_t)(row + i) * row_bytes;
    if (jpeg_read_scanlines(cinfo, rows, n) == 0) return 0; /* suspended */
  }
  if (marker) {
    /* libjpeg reads on from the marker after the scan, as after its own decode. */
    cinfo->src->next_input_byte = marker;
    cinfo->src->bytes_in_buffer = main_side.size - (size_t)(marker - main_side.data);
    jpeg_finish_decompress(cinfo);
  }
  return 0;
}

/* The next MCU, exactly, into main_stream. 0, or -1 (see exact_mcu_into). */
static int exact_mcu(void) {
  if (exact_mcu_into(&main_reader, &main_side.layout, &main_stream, main_done,
                     main_side.cinfo.restart_interval, main_done > 0))
    return -1;
  main_done++;
  return 0;
}

/* Decodes exact MCUs up to S (with restart markers: up to first_mcu). 0, or -1. */
static int exact_until_split(void) {
  while (main_done < main_side.total_mcus) {
    if (main_side.first_mcu ? main_done == main_side.first_mcu : POS(&main_reader) >= main_split_bits) return 0;
    if (exact_mcu()) return -1;
  }
  return 0;
}

/*
 * The main side's first half: sets up libjpeg for the input buffer's `size` bytes, decodes
 * exactly up to S and makes the output rows those MCUs give. 0: go on with
 * ferry_jpeg_split_finish once the worker's half is copied in; -1: not for the split path
 * (decode the usual way).
 */
EMSCRIPTEN_KEEPALIVE int ferry_jpeg_split_begin(unsigned long size, int eighths, int permille) {
  const JOCTET *p;
  uint64_t stuffed = 0;
  j_decompress_ptr cinfo = &main_side.cinfo;
  memset(split_stats, 0, sizeof(split_stats));
  if (permille < 1 || permille > 999) return -1;
  if (side_start(&main_side, size, eighths, permille)) return -1;
  /* FF 00 pairs before S are one data byte each. */
  for (p = main_side.entropy; p < main_side.split;) {
    const JOCTET *ff = (const JOCTET *)memchr(p, 0xFF, (size_t)(main_side.split - p));
    if (!ff) break;
    if (ff + 1 < main_side.split && ff[1] == 0) stuffed++;
    p = ff + 2;
  }
  main_split_bits = ((uint64_t)(main_side.split - main_side.entropy) - stuffed) * 8;
  reader_start(&main_reader, main_side.entropy);
  main_stream.len = 0;
  main_done = 0;
  main_output = ferry_jpeg_output((unsigned long)cinfo->output_width * cinfo->output_height * 3);
  replay_at = 0;
  replay_in_worker = 0;
  replay_mcu = 0;
  replay_ready = 0;
  replay_switch_at = 0;
  copied_stream = NULL;
  copied_records = NULL;
  memset(replay_dc, 0, sizeof(replay_dc));
  if (!main_output || exact_until_split()) {
    side_end(&main_side);
    return -1;
  }
  cinfo->entropy->decode_mcu = replay_decode_mcu;
  if (replay_rows(NULL)) {
    side_end(&main_side);
    return -1;
  }
  split_stats[3] = cinfo->output_scanline;
  return 0;
}

/* Room for the worker's stream (int16s) and records, copied in by the caller: stream first. */
EMSCRIPTEN_KEEPALIVE void *ferry_jpeg_split_area(unsigned long stream_len, unsigned long records) {
  size_t bytes = stream_len * sizeof(JCOEF) + 16 + records * sizeof(mcu_record);
  if (bytes > copied_capacity) {
    free(copied_area);
    copied_area = malloc(bytes);
    copied_capacity = copied_area ? bytes : 0;
    if (!copied_area) return NULL;
  }
  copied_stream = (JCOEF *)copied_area;
  copied_records = (mcu_record *)(((uintptr_t)copied_area + stream_len * sizeof(JCOEF) + 15) & ~(uintptr_t)15);
  return copied_area;
}

EMSCRIPTEN_KEEPALIVE void *ferry_jpeg_split_records(void) { return copied_records; }

/*
 * The main side's second half. The worker's stream and records are in the area from
 * ferry_jpeg_split_area (records = 0 when there is no worker result: the main side then
 * decodes the rest alone); its other results are the arguments (see worker_result). Returns
 * the RGB output (width, height in ferry_jpeg_info()[4], [5]) or NULL: decode the usual way.
 */
EMSCRIPTEN_KEEPALIVE unsigned char *ferry_jpeg_split_finish(unsigned long records, unsigned long complete,
                                                            unsigned long last_bad, unsigned long worker_end,
                                                            unsigned long worker_real_end,
                                                            unsigned long worker_marker) {
  size_t ri = 0;
  int synced = 0, ok = 0;
  uint32_t after_split = 0;
  const mcu_record *rec = NULL;
  const JOCTET *marker;
  uint64_t real_end, end;

  if (!main_side.live) return NULL;
  if (records == 0) copied_stream = NULL;
  if (main_side.first_mcu && records > 0 && main_done == main_side.first_mcu) {
    /* Restart markers: the worker started right after the marker that ends this MCU's
       interval; this reader must meet that very marker, with only padding before it. */
    uint64_t pos = POS(&main_reader);
    load_to_marker(&main_reader);
    if (main_reader.marker != main_side.split - 2 || !only_padding(pos, main_reader.real_end)) goto done;
    rec = &copied_records[0];
    synced = 1;
  }
  /* Exact MCUs past S until one starts where the worker also started one. */
  while (!synced && main_done < main_side.total_mcus) {
    uint64_t pos = POS(&main_reader);
    if (pos >= main_split_bits && records > 0 && !main_side.first_mcu) {
      uint64_t rel = pos - main_split_bits;
      while (ri < records && copied_records[ri].rel < rel) ri++;
      if (ri < records && copied_records[ri].rel == rel) {
        rec = &copied_records[ri];
        synced = 1;
        break;
      }
      after_split++;
    }
    if (exact_mcu()) goto done;
  }
  if (synced) {
    /* The worker's parse from `rec` on is the true one: it must end where the image ends,
       with no bad code after it. */
    if (last_bad != 0 && last_bad - 1 >= rec->rel) goto done;
    if (complete - rec->index != main_side.total_mcus - main_done) goto done;
    end = main_split_bits + worker_end;
    real_end = main_split_bits + worker_real_end;
    marker = main_side.data + worker_marker;
  } else {
    copied_stream = NULL;
    end = POS(&main_reader);
    load_to_marker(&main_reader);
    real_end = main_reader.real_end;
    marker = main_reader.marker;
  }
  /* After the last MCU, as between intervals: nothing but padding before the marker. */
  if (!only_padding(end, real_end)) goto done;

  replay_ready = 1;
  replay_switch_at = synced ? main_done : main_side.total_mcus;
  switch_offset = synced ? rec->offset : 0;
  if (replay_rows(marker)) goto done;
  if (main_side.cinfo.output_scanline != main_side.cinfo.output_height) goto done;
  ok = 1;
  split_stats[0] = (uint32_t)synced;
  split_stats[1] = after_split;
  split_stats[2] = synced ? main_done : 0;
  ferry_jpeg_set_output_size((int)main_side.cinfo.output_width, (int)main_side.cinfo.output_height);
done:
  side_end(&main_side);
  return ok ? main_output : NULL;
}
