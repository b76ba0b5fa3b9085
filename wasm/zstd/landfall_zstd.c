/*
 * Landfall's entry points into libzstd (compression only), for the Parquet writer's pages: one compression context,
 * kept for every call; and the writer's DELTA_BINARY_PACKED (delta_pack, below), which needs 64-bit integers.
 * Built to wasm/zstd/zstd.wasm by scripts/build-zstd.mjs.
 */
#include <stdlib.h>
#include "zstd.h"

static ZSTD_CCtx *cctx;

__attribute__((export_name("zstd_alloc"))) void *zstd_alloc(size_t n) { return malloc(n); }

__attribute__((export_name("zstd_free"))) void zstd_free(void *p) { free(p); }

__attribute__((export_name("zstd_bound"))) size_t zstd_bound(size_t n) { return ZSTD_compressBound(n); }

/* One ZSTD frame of src[0, n) into dst (cap bytes): its size, or an error code (zstd_is_error). */
__attribute__((export_name("zstd_compress"))) size_t zstd_compress(void *dst, size_t cap, const void *src, size_t n,
                                                                  int level) {
  if (!cctx) cctx = ZSTD_createCCtx();
  if (!cctx) return (size_t)-1;
  return ZSTD_compressCCtx(cctx, dst, cap, src, n, level);
}

__attribute__((export_name("zstd_is_error"))) unsigned zstd_is_error(size_t r) { return ZSTD_isError(r); }

/*
 * DELTA_BINARY_PACKED (Parquet's Encodings.md) of values[0, count): integers held as doubles (the writer's check
 * keeps them below 2^52 in magnitude), blocks of 128 deltas in four miniblocks of 32, each miniblock packed least
 * significant bit first at the width of its largest delta above the block's minimum; the last miniblock padded with
 * zeros, miniblocks past the last value left out (their width written as 0). Writes at most
 * 40 + 1038 * ceil((count - 1) / 128) bytes to out; returns how many.
 */
#include <stdint.h>
#include <string.h>

#define DBP_BLOCK 128
#define DBP_MINIBLOCKS 4
#define DBP_MINI 32

static uint8_t *put_varint(uint8_t *p, uint64_t v) {
  while (v >= 128) {
    *p++ = (uint8_t)(v | 128);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

static uint8_t *put_zigzag(uint8_t *p, int64_t v) { return put_varint(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

__attribute__((export_name("delta_pack"))) size_t delta_pack(uint8_t *out, const double *values, int count) {
  uint8_t *p = out;
  p = put_varint(p, DBP_BLOCK);
  p = put_varint(p, DBP_MINIBLOCKS);
  p = put_varint(p, (uint64_t)count);
  p = put_zigzag(p, count ? (int64_t)values[0] : 0);
  int64_t deltas[DBP_BLOCK];
  for (int b = 1; b < count; b += DBP_BLOCK) {
    int n = count - b < DBP_BLOCK ? count - b : DBP_BLOCK;
    int64_t min = INT64_MAX;
    int64_t high[DBP_MINIBLOCKS] = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN};
    int64_t prev = (int64_t)values[b - 1];
    for (int k = 0; k < n; k++) {
      int64_t x = (int64_t)values[b + k];
      int64_t d = x - prev;
      prev = x;
      deltas[k] = d;
      if (d < min) min = d;
      if (d > high[k >> 5]) high[k >> 5] = d;
    }
    p = put_zigzag(p, min);
    int used = (n + DBP_MINI - 1) / DBP_MINI;
    uint8_t widths[DBP_MINIBLOCKS];
    for (int m = 0; m < DBP_MINIBLOCKS; m++) {
      uint64_t range = m < used ? (uint64_t)(high[m] - min) : 0;
      widths[m] = range ? (uint8_t)(64 - __builtin_clzll(range)) : 0;
    }
    memcpy(p, widths, DBP_MINIBLOCKS);
    p += DBP_MINIBLOCKS;
    for (int m = 0; m < used; m++) {
      int w = widths[m];
      if (!w) continue;
      /*
       * Four bytes written at a time: fewer than 32 bits are pending before a value, and a value wider than 32 bits
       * goes in as its low 32 bits and the rest. 32 values of w bits are 4w bytes: nothing is left pending after them.
       */
      uint64_t acc = 0;
      int bits = 0;
      for (int k = m * DBP_MINI; k < (m + 1) * DBP_MINI; k++) {
        uint64_t v = k < n ? (uint64_t)(deltas[k] - min) : 0;
        if (w > 32) {
          acc |= (v & 0xffffffffu) << bits;
          uint32_t word = (uint32_t)acc;
          memcpy(p, &word, 4);
          p += 4;
          acc >>= 32;
          v >>= 32;
          acc |= v << bits;
          bits += w - 32;
        } else {
          acc |= v << bits;
          bits += w;
        }
        if (bits >= 32) {
          uint32_t word = (uint32_t)acc;
          memcpy(p, &word, 4);
          p += 4;
          acc >>= 32;
          bits -= 32;
        }
      }
    }
  }
  return (size_t)(p - out);
}
