/**
 * pregrowMemory (src/parquet/parquetEncoderSession.mjs): one allocation freed at once must leave its pages to
 * parquet-wasm's allocator, so that encoding a row group afterwards grows the WebAssembly memory no more.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { pregrowMemory } from '#src/parquet/parquetEncoderSession.mjs';

describe('parquet-wasm memory grown once', () => {
  it('a row group encoded after the pre-grow fits in it: the memory does not grow again', async () => {
    const pw = await import('parquet-wasm/esm');
    const exports = pw.initSync({
      module: readFileSync(createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')),
    }) as unknown as { memory: { buffer: ArrayBuffer } };
    const before = exports.memory.buffer.byteLength;
    pregrowMemory(exports, 64 * 1024 * 1024);
    const grown = exports.memory.buffer.byteLength;
    expect(grown - before).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    const n = 500_000;
    const table = tableFromArrays({
      id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 7919)),
      name: Array.from({ length: n }, (_, i) => `name-${i % 5000}`),
    });
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
    const out = pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
    expect(out.length).toBeGreaterThan(1000);
    expect(exports.memory.buffer.byteLength).toBe(grown);
  });
});
