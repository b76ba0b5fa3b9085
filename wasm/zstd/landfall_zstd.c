/*
 * Landfall's entry points into libzstd (compression only), for the Parquet writer's pages: one compression context,
 * kept for every call. Built to wasm/zstd/zstd.wasm by scripts/build-zstd.mjs.
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
