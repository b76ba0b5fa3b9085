import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ByteSink } from './byteSink.ts';

/** Linear memory: libzstd's malloc grows it; views are made afresh after each call. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
/** The part of the WebAssembly JS API used here (the Node typings in use do not declare it). */
const WebAssemblyApi = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: unknown };
    };
  }
).WebAssembly;

/** The entry points of wasm/zstd/zstd.wasm (wasm/zstd/landfall_zstd.c); tests/parquetWriter.test.ts checks them. */
export const ZSTD_EXPORTS = [
  'memory',
  '_initialize',
  'zstd_alloc',
  'zstd_free',
  'zstd_bound',
  'zstd_compress',
  'zstd_is_error',
  'delta_pack',
] as const;

type Fn = (...args: number[]) => number;

/**
 * ZSTD compression through libzstd 1.5.7 compiled to WebAssembly by scripts/build-zstd.mjs (clang, wasi-libc; no
 * imports): one compression context, kept for every page of the thread. The same module packs DELTA_BINARY_PACKED
 * pages (64-bit integer arithmetic, which JavaScript does in doubles: the 300-column file's 100 delta columns took
 * ~210 ms per 256 MB packed in JavaScript).
 */
export class Zstd {
  private readonly memory: WasmMemory;
  private readonly x: Record<(typeof ZSTD_EXPORTS)[number], Fn>;
  private src = 0;
  private srcCap = 0;
  private dst = 0;
  private dstCap = 0;

  constructor(
    wasm: Uint8Array,
    readonly level = 1,
  ) {
    const e = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(wasm), {}).exports as Record<string, unknown>;
    const missing = ZSTD_EXPORTS.filter((name) => !(name in e));
    if (missing.length) throw new Error(`zstd: the .wasm lacks ${missing.join(', ')}: not wasm/zstd/zstd.wasm?`);
    this.memory = e.memory as WasmMemory;
    this.x = e as Record<(typeof ZSTD_EXPORTS)[number], Fn>;
    this.x._initialize();
  }

  /** Compresses `src` into one ZSTD frame; the result is a view, valid until the next call. */
  compress(src: Uint8Array): Uint8Array {
    this.reserve(src.length, this.x.zstd_bound(src.length));
    new Uint8Array(this.memory.buffer, this.src, src.length).set(src);
    // size_t results are unsigned: error codes come back as large values, i.e. negative i32s.
    const n = this.x.zstd_compress(this.dst, this.dstCap, this.src, src.length, this.level) >>> 0;
    if (this.x.zstd_is_error(n)) throw new Error(`zstd: compression failed (code ${n})`);
    return new Uint8Array(this.memory.buffer, this.dst, n);
  }

  /**
   * Appends DELTA_BINARY_PACKED of values[0, count) to `out` (byte-aligned): integers held as doubles, below 2^52 in
   * magnitude (ColumnChunkWriter.deltaValues checks). See delta_pack in wasm/zstd/landfall_zstd.c.
   */
  deltaPack(out: ByteSink, values: Float64Array, count: number): void {
    this.reserve(count * 8, 40 + 1038 * Math.ceil(Math.max(0, count - 1) / 128));
    // malloc's blocks are 16-byte aligned: the doubles can be viewed in place.
    new Float64Array(this.memory.buffer, this.src, count).set(values.subarray(0, count));
    const n = this.x.delta_pack(this.dst, this.src, count) >>> 0;
    out.bytes(new Uint8Array(this.memory.buffer, this.dst, n), 0, n);
  }

  /** Input and output blocks in linear memory of at least these sizes. */
  private reserve(srcBytes: number, dstBytes: number): void {
    if (!this.src || srcBytes > this.srcCap) {
      if (this.src) this.x.zstd_free(this.src);
      this.srcCap = Math.max(srcBytes, 1 << 20);
      this.src = this.x.zstd_alloc(this.srcCap);
    }
    if (!this.dst || dstBytes > this.dstCap) {
      if (this.dst) this.x.zstd_free(this.dst);
      this.dstCap = Math.max(dstBytes, 1 << 20);
      this.dst = this.x.zstd_alloc(this.dstCap);
    }
    if (!this.src || !this.dst) throw new Error('zstd: out of memory');
  }
}

/** The committed build beside the source (Lambda: the layer's copy, given by the caller). */
export function zstdWasmPath(): string {
  return fileURLToPath(new URL('../../../wasm/zstd/zstd.wasm', import.meta.url));
}

const loaded = new Map<string, Zstd>();

/**
 * libzstd for this thread, read and compiled once per path and level (not once per file: a Lambda converting one
 * small file per event would pay it on every event). One instance serves every writer of the thread: compress() is
 * synchronous and its callers copy the result before the next call.
 */
export function loadZstd(wasmPath = zstdWasmPath(), level = 1): Zstd {
  const key = `${level} ${wasmPath}`;
  const known = loaded.get(key);
  if (known) return known;
  const z = new Zstd(readFileSync(wasmPath), level);
  loaded.set(key, z);
  return z;
}
