import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface GrowableMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
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

/**
 * ZSTD compression through libzstd compiled to WebAssembly (@bokuweb/zstd-wasm, MIT; the package's own wrapper
 * allocates a compression context per call and is CommonJS-only, so its .wasm is instantiated here, synchronously,
 * with one context kept for every page). The module's exports are named by its emscripten build (minified): the
 * names below belong to the pinned version 0.0.27, and tests/parquetWriter.test.ts checks them against the
 * package's own glue code so that an upgrade cannot silently call the wrong function.
 */
export const ZSTD_EXPORTS = {
  memory: 'f',
  init: 'g',
  isError: 'h',
  compressBound: 'i',
  createCCtx: 'j',
  compressUsingDict: 'l',
  malloc: 's',
  free: 't',
} as const;

type Fn = (...args: number[]) => number;

export class Zstd {
  private readonly memory: GrowableMemory;
  private readonly x: Record<keyof typeof ZSTD_EXPORTS, Fn>;
  private readonly cctx: number;
  private src = 0;
  private srcCap = 0;
  private dst = 0;
  private dstCap = 0;

  constructor(
    wasm: Uint8Array,
    readonly level = 1,
  ) {
    let memory: GrowableMemory | null = null;
    const fail = (what: string) => () => {
      throw new Error(`zstd: ${what}`);
    };
    const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(wasm), {
      a: {
        a: fail('exit'),
        b: () => undefined,
        c: fail('abort'),
        d: () => 0,
        // emscripten_resize_heap: grow to at least the requested size, answering whether it worked.
        e: (requested: number) => {
          const have = memory!.buffer.byteLength;
          try {
            memory!.grow(Math.ceil((requested - have) / 65536));
            return 1;
          } catch {
            return 0;
          }
        },
      },
    });
    const e = instance.exports as Record<string, unknown>;
    memory = e[ZSTD_EXPORTS.memory] as GrowableMemory;
    this.memory = memory;
    this.x = Object.fromEntries(Object.entries(ZSTD_EXPORTS).map(([k, name]) => [k, e[name] as Fn])) as Record<
      keyof typeof ZSTD_EXPORTS,
      Fn
    >;
    this.x.init();
    this.cctx = this.x.createCCtx();
  }

  /** Compresses `src` into one ZSTD frame; the result is a view, valid until the next call. */
  compress(src: Uint8Array): Uint8Array {
    const bound = this.x.compressBound(src.length);
    if (src.length > this.srcCap) {
      if (this.src) this.x.free(this.src);
      this.srcCap = Math.max(src.length, 1 << 20);
      this.src = this.x.malloc(this.srcCap);
    }
    if (bound > this.dstCap) {
      if (this.dst) this.x.free(this.dst);
      this.dstCap = Math.max(bound, 1 << 20);
      this.dst = this.x.malloc(this.dstCap);
    }
    if (!this.src || !this.dst) throw new Error('zstd: out of memory');
    new Uint8Array(this.memory.buffer, this.src, src.length).set(src);
    const n = this.x.compressUsingDict(this.cctx, this.dst, this.dstCap, this.src, src.length, 0, 0, this.level);
    if (this.x.isError(n)) throw new Error(`zstd: compression failed (code ${n})`);
    return new Uint8Array(this.memory.buffer, this.dst, n);
  }
}

/** The .wasm's location in node_modules (Lambda: the layer's copy, given by the caller). */
export function zstdWasmPath(): string {
  // The package exports only its entry point: the .wasm sits beside it.
  return join(dirname(createRequire(import.meta.url).resolve('@bokuweb/zstd-wasm')), 'zstd.wasm');
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
