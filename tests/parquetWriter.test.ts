import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFooter } from '../src/parquet/ParquetStitcher.ts';
import { field, ThriftReader, type ThriftList, type ThriftStruct } from '../src/parquet/thriftCompact.ts';
import { loadZstd, ZSTD_EXPORTS, zstdWasmPath } from '../src/parquet/write/zstd.ts';
import { RowGroupWriter } from '../src/parquet/write/rowGroupWriter.ts';
import { PAGE_ROWS } from '../src/parquet/write/columnSpec.ts';
import {
  bundledScript,
  encoderThreadsStarted,
  RollingParquetWriter,
  stopIdleEncoderThreads,
} from '../src/parquet/RollingParquetWriter.ts';
import { FolderStore } from '../src/adapters/local/FolderStore.ts';
import { columnValues, rowGroupSpec } from '../src/parquet/write/fromArrow.ts';
import { WasmCsvDecoder } from '../src/decode/wasmDecoder.ts';
import { rawSchema, toRecordBatch } from '../src/decode/arrowSchema.ts';
import { loadContracts } from '../src/contracts/loadContracts.ts';
import { distinctRatio, plainColumns } from '../src/parquet/writerTuning.ts';
import { Decimal, Float64, Int32, Int64, makeData, Utf8 } from 'apache-arrow';
import type { LocalLake } from '../src/wiring/local.ts';
import { duck, ingestFile, rows, SHARED_DATA, sqlList, tempDir, tempLake } from './helpers.ts';

// Landfall's own Parquet writer (src/parquet/write/) against an independent one: the same CSV ingested once with
// each writer, and DuckDB reading both files. parquet-wasm (parquet-rs) is the reference for the schema, the values
// and the statistics; DuckDB is the reader.

const LINEAGE_VARIES = '_batch_id, _ingested_at';

/** The generated file's columns: its contract's types, and DuckDB's for reading the CSV itself. */
const ALL_TYPES = [
  { name: 'id', type: 'int64', duck: 'BIGINT', required: true },
  { name: 'big', type: 'int64', duck: 'BIGINT' },
  { name: 'small', type: 'int32', duck: 'INTEGER' },
  { name: 'category', type: 'string', duck: 'VARCHAR' },
  { name: 'note', type: 'string', duck: 'VARCHAR' },
  { name: 'unique_text', type: 'string', duck: 'VARCHAR' },
  { name: 'ratio', type: 'float64', duck: 'DOUBLE' },
  { name: 'price', type: 'decimal(9,2)', duck: 'DECIMAL(9,2)' },
  { name: 'amount', type: 'decimal(18,4)', duck: 'DECIMAL(18,4)' },
  { name: 'huge', type: 'decimal(30,6)', duck: 'DECIMAL(30,6)' },
  { name: 'flag', type: 'boolean', duck: 'BOOLEAN' },
  { name: 'day', type: 'date', duck: 'DATE' },
  { name: 'at', type: 'timestamp', duck: 'TIMESTAMP' },
  { name: 'far', type: 'timestamp', duck: 'TIMESTAMP' },
  { name: 'level', type: 'int64', duck: 'BIGINT' },
  { name: 'slot_at', type: 'timestamp', duck: 'TIMESTAMP' },
  { name: 'score', type: 'float64', duck: 'DOUBLE' },
  { name: 'jumpy', type: 'int64', duck: 'BIGINT' },
  { name: 'jumpier', type: 'int64', duck: 'BIGINT' },
  { name: 'never_text', type: 'string', duck: 'VARCHAR' },
  { name: 'never_int', type: 'int32', duck: 'INTEGER' },
  { name: 'never_at', type: 'timestamp', duck: 'TIMESTAMP' },
];

/** A generated file with every column type, nulls, long and non-ASCII strings, a dictionary that overflows. */
async function allTypes(dir: string): Promise<{ contracts: string; csv: string }> {
  const contracts = join(dir, 'contracts');
  await mkdir(contracts, { recursive: true });
  await writeFile(
    join(contracts, 'all_types.yaml'),
    `dataset: all_types
description: Every column type the writer takes.
match: { patterns: ["all_types*.csv"] }
columns:
${ALL_TYPES.map((c) => `  - { name: ${c.name}, type: "${c.type}"${c.required ? ', nullable: false' : ''} }`).join('\n')}
`,
  );
  // The last three columns are never filled (an optional column nobody uses): pages of nulls only.
  const lines = [ALL_TYPES.map((c) => c.name).join(',')];
  const cats = ['north', 'south', 'éast', 'west 🌍', ''];
  for (let i = 0; i < 60_000; i++) {
    const n = (i * 7919) % 60_000;
    const nul = (k: number) => (i + k) % 23 === 0;
    lines.push(
      [
        i,
        nul(1) ? '' : `${i % 2 ? '-' : ''}${9007199254740993n + BigInt(n) * 1000003n}`,
        nul(2) ? '' : (n % 500) - 250,
        nul(3) ? '' : cats[n % cats.length],
        nul(4)
          ? ''
          : `"${'a long note, quoted, longer than the 64 bytes of a column index entry ✓ '.repeat(1 + (n % 2))}${n % 97}"`,
        // Each value six times (repeated enough for a dictionary), 10,000 of 108 bytes: the dictionary outgrows
        // 1 MB and the later pages are plain.
        `u${String(Math.floor(i / 6)).padStart(6, '0')}-${'x'.repeat(100)}`,
        nul(5) ? '' : n % 11 === 0 ? (n % 2 ? '-0' : '0') : (n / 7 - 3000).toFixed(5),
        nul(6) ? '' : ((n - 30_000) / 100).toFixed(2),
        nul(7) ? '' : `${n % 2 ? '-' : ''}${n}${n}.${String(n % 10_000).padStart(4, '0')}`,
        nul(8) ? '' : `${n % 3 ? '' : '-'}${'9'.repeat(18)}${n}.${String(n).padStart(6, '0')}`,
        nul(9) ? '' : n % 3 === 0 ? 'true' : 'false',
        nul(10) ? '' : `20${10 + (n % 15)}-0${1 + (n % 9)}-1${n % 9}`,
        new Date(Date.UTC(2024, 0, 1) + n * 61_003).toISOString().replace('T', ' ').slice(0, 23),
        // Up to 2164: past 2112 microseconds need more than 52 bits, too many for the delta encoder's doubles, and
        // such pages are written plain.
        nul(11) ? '' : new Date(Date.UTC(2000, 0, 1) + i * 86_400_007).toISOString().replace('T', ' ').slice(0, 19),
        // Few distinct 64-bit values (dictionaries of word pairs, their cache of recent values): high words too.
        nul(14) ? '' : (n % 40) * 2 ** 33 + 7,
        nul(15)
          ? ''
          : new Date(Date.UTC(2024, 0, 1) + (n % 120) * 3_600_000).toISOString().replace('T', ' ').slice(0, 19),
        nul(16) ? '' : ((n % 40) - 20) / 8,
        // Deltas that need 25-32 bits, and more than 32: the delta encoder's wider packing paths.
        nul(12) ? '' : ((n * 2_654_435_761) % 2 ** 31) - 2 ** 30,
        nul(13) ? '' : ((n * 2_654_435_761 * 977) % 2 ** 44) - 2 ** 43,
        '',
        '',
        '',
      ].join(','),
    );
  }
  const csv = join(dir, 'all_types.csv');
  await writeFile(csv, `${lines.join('\n')}\n`);
  return { contracts, csv };
}

async function bothWriters(file: string, dataset: string, contractsDir?: string) {
  const out: Record<string, { lake: LocalLake; files: string[] }> = {};
  for (const writer of ['landfall', 'parquet-wasm'] as const) {
    // Batches of 1 MB: a page spans several of the generated file's (~2,400 rows each); row groups of 16 batches hold
    // more rows than a page, so an encoder thread writes them (a smaller row group is encoded inline).
    const lake = await tempLake({ parquetWriter: writer, threads: 2, batchBytes: 1024 * 1024 }, contractsDir);
    const r = await ingestFile(lake, file, dataset);
    expect(r.manifest.status).toBe('published');
    out[writer] = { lake, files: r.manifest.files.map((f) => lake.lake.path(f.key)) };
  }
  return { ours: out.landfall.files, theirs: out['parquet-wasm'].files };
}

async function expectSameAsParquetWasm(ours: string[], theirs: string[]) {
  const conn = await duck();
  const a = sqlList(ours);
  const b = sqlList(theirs);
  // The same schema as DuckDB reads it: names, types, repetition, converted and logical types.
  const schema = (f: string) =>
    `SELECT name, type, type_length, repetition_type, converted_type, scale, precision, logical_type FROM parquet_schema(${f}) WHERE file_name = (SELECT min(file_name) FROM parquet_schema(${f}))`;
  expect(await rows(conn, schema(a))).toEqual(await rows(conn, schema(b)));
  // The same rows: every column but the two lineage values that name the run.
  const [diff] = await rows(
    conn,
    `SELECT (SELECT count(*) FROM (SELECT * EXCLUDE (${LINEAGE_VARIES}) FROM read_parquet(${a}) EXCEPT ALL SELECT * EXCLUDE (${LINEAGE_VARIES}) FROM read_parquet(${b}))) AS only_ours,
            (SELECT count(*) FROM (SELECT * EXCLUDE (${LINEAGE_VARIES}) FROM read_parquet(${b}) EXCEPT ALL SELECT * EXCLUDE (${LINEAGE_VARIES}) FROM read_parquet(${a}))) AS only_theirs,
            (SELECT count(*) FROM read_parquet(${a})) AS n`,
  );
  if (diff.only_ours !== '0' || diff.only_theirs !== '0') {
    // Name the columns that differ, with a few rows each (matched by source line).
    const cols = (await rows(conn, `DESCRIBE SELECT * EXCLUDE (${LINEAGE_VARIES}) FROM read_parquet(${a})`)).map((r) =>
      String(r.column_name),
    );
    const differing: Record<string, unknown> = {};
    for (const c of cols) {
      const ex = await rows(
        conn,
        `SELECT x._source_line AS line, x."${c}"::VARCHAR AS ours, y."${c}"::VARCHAR AS theirs FROM read_parquet(${a}) x JOIN read_parquet(${b}) y USING (_source_line) WHERE x."${c}" IS DISTINCT FROM y."${c}" LIMIT 3`,
      );
      if (ex.length) differing[c] = ex;
    }
    expect(differing).toEqual({});
  }
  expect(diff).toMatchObject({ only_ours: '0', only_theirs: '0' });
  expect(Number(diff.n)).toBeGreaterThan(0);
  // The same row groups and, per column chunk, the same statistics (what DuckDB and Athena prune with).
  const stats = (f: string) =>
    `SELECT row_group_id, path_in_schema AS col, row_group_num_rows AS n, stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls
     FROM parquet_metadata(${f}) ORDER BY file_name, row_group_id, column_id`;
  const ourStats = await rows(conn, stats(a));
  const lineage = (s: Record<string, unknown>) => !LINEAGE_VARIES.includes(String(s.col));
  expect(ourStats.filter(lineage)).toEqual((await rows(conn, stats(b))).filter(lineage));
  return conn;
}

/** Every column chunk's offset index points at page headers whose sizes and row counts add up to the chunk. */
async function expectConsistentPageIndexes(file: string) {
  const bytes = new Uint8Array(await readFile(file));
  const footer = readFooter(bytes);
  for (const g of (field(footer, 4)!.value as ThriftList).items as ThriftStruct[]) {
    const groupRows = Number(field(g, 3)!.value);
    for (const c of (field(g, 1)!.value as ThriftList).items as ThriftStruct[]) {
      const at = Number(field(c, 4)!.value);
      const index = new ThriftReader(bytes.subarray(at, at + (field(c, 5)!.value as number))).readStruct();
      const pages = (field(index, 1)!.value as ThriftList).items as ThriftStruct[];
      let next = 0;
      for (const p of pages) {
        const offset = Number(field(p, 1)!.value);
        const reader = new ThriftReader(bytes, offset);
        const header = reader.readStruct();
        expect(reader.pos - offset + (field(header, 3)!.value as number)).toBe(field(p, 2)!.value);
        expect(Number(field(p, 3)!.value)).toBe(next);
        next += field(field(header, 5)!.value as ThriftStruct, 1)!.value as number;
      }
      expect(next).toBe(groupRows);
    }
  }
}

interface WasmModules {
  Module: { new (bytes: Uint8Array): object; imports(m: object): unknown[]; exports(m: object): { name: string }[] };
}

describe("Landfall's Parquet writer", () => {
  it('never reads a batch buffer after giving it back (released buffers poisoned: the same bytes)', async () => {
    const contract = (await loadContracts(fileURLToPath(new URL('../contracts', import.meta.url)))).find(
      (c) => c.dataset === 'ad_clicks',
    )!;
    const csv = await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'));
    const write = (poison: boolean) => {
      // Small batches: a page of 20,000 rows spans many of them, so buffers stay held across batches.
      const decoder = new WasmCsvDecoder(contract, { batchBytes: 64 * 1024 });
      const batches = [decoder.push(csv), decoder.end()].flatMap((o) => o.batches);
      const schema = rawSchema(contract);
      const spec = rowGroupSpec(schema, {
        metadata: {},
        plainColumns: ['ip', 'click_time'],
        deltaColumns: ['_source_line', 'click_time', 'attributed_time'],
        constants: { _batch_id: 'b', _source_key: 'k', _ingested_at: 0 },
      });
      const released: { atBatch: number; buffers: ArrayBuffer[] }[] = [];
      let pushed = 0;
      const writer = new RowGroupWriter(spec, loadZstd(), (buffers) => {
        released.push({ atBatch: pushed, buffers });
        if (poison) for (const b of buffers) new Uint8Array(b).fill(0xee);
      });
      for (const b of batches) {
        const rb = toRecordBatch(schema, b, { batchId: 'b', sourceKey: 'k', ingestedAtMicros: 0 });
        const { values, buffers } = columnValues(spec, rb);
        pushed++;
        writer.push(rb.numRows, values, buffers);
      }
      const bytes = Buffer.concat(writer.finish());
      return { bytes, released, batches: batches.length };
    };
    const clean = write(false);
    const poisoned = write(true);
    expect(clean.batches).toBeGreaterThan(50);
    // Buffers came back while batches were still arriving, and every batch's came back by the end.
    expect(poisoned.released.filter((r) => r.atBatch < poisoned.batches).length).toBeGreaterThan(0);
    expect(poisoned.released.length).toBe(poisoned.batches);
    expect(Buffer.compare(poisoned.bytes, clean.bytes)).toBe(0);
  });

  it('counts distinct values on the column buffers, whatever the type (the dictionary-or-plain choice)', () => {
    const ints = makeData({ type: new Int32(), length: 4, nullCount: 0, data: new Int32Array([1, 2, 2, 1]) });
    expect(distinctRatio(ints, 100)).toBe(0.5);
    const longs = makeData({ type: new Int64(), length: 4, nullCount: 0, data: new BigInt64Array([1n, 2n, 3n, 1n]) });
    expect(distinctRatio(longs, 100)).toBe(0.75);
    expect(distinctRatio(longs, 2)).toBe(1);
    const doubles = makeData({ type: new Float64(), length: 2, nullCount: 0, data: new Float64Array([1, 1]) });
    expect(distinctRatio(doubles, 100)).toBe(0.5);
    // Decimal128: the high words differ in the second value only.
    const words = new Uint32Array([7, 0, 0, 0, 7, 0, 0, 1, 7, 0, 0, 0]);
    expect(distinctRatio(makeData({ type: new Decimal(2, 12, 128), length: 3, nullCount: 0, data: words }), 100)).toBe(
      2 / 3,
    );
    const text = new TextEncoder().encode('abab');
    const offsets = new Int32Array([0, 1, 2, 3, 4, 4]);
    // Five rows, the last null: 'a', 'b', 'a', 'b' -> 2 distinct of 4 values.
    const strings = makeData({
      type: new Utf8(),
      length: 5,
      nullCount: 1,
      nullBitmap: new Uint8Array([0b01111]),
      valueOffsets: offsets,
      data: text,
    });
    expect(distinctRatio(strings, 100)).toBe(0.5);
    // Stopping once the distinct values alone pass the threshold gives the same answer on either side of it, for
    // columns of every cardinality with nulls among them.
    let stopped = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const n = 50 + ((seed * 7919) % 400);
      const cardinality = 1 + ((seed * 104_729) % n);
      const values = new Int32Array(n).map((_, i) => ((i * 2_654_435_761 + seed) >>> 0) % cardinality);
      const nullBitmap = new Uint8Array(Math.ceil(n / 8)).map((_, i) => (seed % 3 ? 0xff : 0xff ^ (1 << (i % 8))));
      const d = makeData({ type: new Int32(), length: n, nullCount: -1, nullBitmap, data: values });
      const full = distinctRatio(d, 20_000);
      const early = distinctRatio(d, 20_000, 0.25);
      expect(early > 0.25).toBe(full > 0.25);
      if (full > 0.25 && early !== full) stopped++;
    }
    expect(stopped).toBeGreaterThan(50);
  });

  it("extrapolates a small batch's distinct values to a row group's rows (a wide table's dictionary choice)", () => {
    // Columns drawn from `cardinality` values (5% nulls); the first 1,500 rows are the batch, the truth is counted
    // with a Set over 9,000.
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const column = (cardinality: number, n: number) => {
      const values = new Int32Array(n).map(() => Math.floor(random() * cardinality));
      const nullBitmap = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++) if (random() >= 0.05) nullBitmap[i >> 3] |= 1 << (i & 7);
      const truth = new Set<number>();
      let valid = 0;
      for (let i = 0; i < n; i++)
        if ((nullBitmap[i >> 3] >> (i & 7)) & 1) {
          valid++;
          truth.add(values[i]);
        }
      const batch = makeData({
        type: new Int32(),
        length: 1500,
        nullCount: -1,
        nullBitmap: nullBitmap.slice(0, 1500 / 8),
        data: values.slice(0, 1500),
      });
      return { batch, truth: truth.size / valid };
    };
    for (const [cardinality, near] of [
      [12, 0.005],
      [500, 0.01],
      [3000, 0.03],
      [1e9, 0.01],
    ] as const) {
      const { batch, truth } = column(cardinality, 9000);
      const alone = distinctRatio(batch, 20_000);
      const extrapolated = distinctRatio(batch, 20_000, Infinity, 9000);
      expect(Math.abs(extrapolated - truth)).toBeLessThan(near);
      // Never above the batch's own share (more rows repeat more), and the early stop agrees on either side.
      expect(extrapolated).toBeLessThanOrEqual(alone + 1e-9);
      expect(distinctRatio(batch, 20_000, 0.25, 9000) > 0.25).toBe(extrapolated > 0.25);
    }
    // 500 codes: a third of the batch's rows (plain, before), 5% of a row group's (a dictionary).
    const codes = column(500, 9000).batch;
    expect(distinctRatio(codes, 20_000)).toBeGreaterThan(0.25);
    expect(plainColumns(['codes'], { columns: [codes] })).toEqual(['codes']);
    expect(plainColumns(['codes'], { columns: [codes] }, { rows: 9000 })).toEqual([]);
    // No more rows coming (a file that ends in its first batch): the batch's own count.
    expect(plainColumns(['codes'], { columns: [codes] }, { rows: 1500 })).toEqual(['codes']);
  });

  it('compresses with the committed libzstd build: its entry points only, no imports, standard frames', async () => {
    // The Node typings in use do not declare WebAssembly.
    const W = (globalThis as unknown as { WebAssembly: WasmModules }).WebAssembly;
    const module = new W.Module(await readFile(zstdWasmPath()));
    expect(W.Module.imports(module)).toEqual([]);
    expect(W.Module.exports(module).map((e) => e.name)).toEqual([...ZSTD_EXPORTS]);
    // A real table (twice over: 4.8 MB, several blocks); the frame says its content size (RFC 8878, 3.1.1.1).
    const table = await readFile(join(SHARED_DATA, 'olist/olist_products_dataset.csv'));
    const input = new Uint8Array(Buffer.concat([table, table]));
    const frame = loadZstd(zstdWasmPath(), 1).compress(input).slice();
    expect([...frame.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    const descriptor = frame[4];
    const sizeBytes = [descriptor & 0x20 ? 1 : 0, 2, 4, 8][descriptor >> 6];
    const at = 5 + (descriptor & 0x20 ? 0 : 1) + [0, 1, 2, 4][descriptor & 3];
    let size = 0;
    for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + frame[at + i];
    expect(size + (sizeBytes === 2 ? 256 : 0)).toBe(input.length);
    expect(frame.length).toBeLessThan(input.length / 2);
  });

  it('writes every column type as parquet-wasm does: schema, values, statistics, dictionary overflow, far dates', async () => {
    const { contracts, csv } = await allTypes(await tempDir());
    const { ours, theirs } = await bothWriters(csv, 'all_types', contracts);
    const conn = await expectSameAsParquetWasm(ours, theirs);
    // The distinct strings outgrew the dictionary: its first pages use it, the later ones are plain.
    const [enc] = await rows(
      conn,
      `SELECT string_agg(DISTINCT encodings, ',') AS e FROM parquet_metadata(${sqlList(ours)}) WHERE path_in_schema = 'unique_text'`,
    );
    expect(String(enc.e)).toMatch(/RLE_DICTIONARY/);
    expect(String(enc.e)).toMatch(/PLAIN/);
    // Timestamps past 2112 do not fit the delta encoder's 52 bits: those pages are plain, the earlier ones deltas.
    const [far] = await rows(
      conn,
      `SELECT string_agg(DISTINCT encodings, ',') AS e FROM parquet_metadata(${sqlList(ours)}) WHERE path_in_schema = 'far'`,
    );
    expect(String(far.e)).toMatch(/DELTA_BINARY_PACKED/);
    expect(String(far.e)).toMatch(/PLAIN/);
    const [jumps] = await rows(
      conn,
      `SELECT string_agg(DISTINCT encodings, ',') AS e FROM parquet_metadata(${sqlList(ours)}) WHERE path_in_schema IN ('jumpy', 'jumpier')`,
    );
    expect(String(jumps.e)).toMatch(/DELTA_BINARY_PACKED/);
    const [few] = await rows(
      conn,
      `SELECT count(DISTINCT path_in_schema) AS n FROM parquet_metadata(${sqlList(ours)}) WHERE path_in_schema IN ('level', 'slot_at', 'score') AND encodings LIKE '%RLE_DICTIONARY%'`,
    );
    expect(few.n).toBe('3');
    const [groups] = await rows(
      conn,
      `SELECT max(row_group_num_rows) AS n, count(DISTINCT row_group_id) AS g FROM parquet_metadata(${sqlList(ours)})`,
    );
    // Row groups of more than a page: pages written while the row group fills, and several row groups.
    expect(Number(groups.n)).toBeGreaterThanOrEqual(PAGE_ROWS);
    expect(Number(groups.g)).toBeGreaterThan(1);
    // Values as DuckDB reads the CSV itself.
    const duckColumns = `{${ALL_TYPES.map((c) => `'${c.name}': '${c.duck}'`).join(', ')}}`;
    const [golden] = await rows(
      conn,
      `SELECT count(*) AS n, sum(big)::VARCHAR AS big, sum(amount)::VARCHAR AS amount, sum(huge)::VARCHAR AS huge, max(far)::VARCHAR AS far, count(DISTINCT note) AS notes, count(never_text) + count(never_int) + count(never_at) AS never, sum(jumpy)::VARCHAR AS jumpy, sum(jumpier)::VARCHAR AS jumpier, sum(level)::VARCHAR AS level, count(DISTINCT slot_at) AS slots, sum(score) AS score
       FROM read_csv('${csv}', header = true, columns = ${duckColumns})`,
    );
    const [landed] = await rows(
      conn,
      `SELECT count(*) AS n, sum(big)::VARCHAR AS big, sum(amount)::VARCHAR AS amount, sum(huge)::VARCHAR AS huge, max(far)::VARCHAR AS far, count(DISTINCT note) AS notes, count(never_text) + count(never_int) + count(never_at) AS never, sum(jumpy)::VARCHAR AS jumpy, sum(jumpier)::VARCHAR AS jumpier, sum(level)::VARCHAR AS level, count(DISTINCT slot_at) AS slots, sum(score) AS score FROM read_parquet(${sqlList(ours)})`,
    );
    expect(landed).toEqual(golden);
    for (const f of ours) await expectConsistentPageIndexes(f);
  });

  it('writes real Olist orders and TalkingData clicks as parquet-wasm does', async () => {
    for (const [file, dataset] of [
      ['olist/sample_bravida/olist_orders_dataset.csv', 'olist_orders'],
      ['adtech/talkingdata/train_sample.csv', 'ad_clicks'],
    ]) {
      const { ours, theirs } = await bothWriters(join(SHARED_DATA, file), dataset);
      await expectSameAsParquetWasm(ours, theirs);
      for (const f of ours) await expectConsistentPageIndexes(f);
    }
  });
});

describe('encoder threads between runs', () => {
  const clicks = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');

  it("keeps a cleanly finished run's encoder thread for the next run (same files), and ends a failed run's", async () => {
    // Batches of 256 KB: row groups of 16 batches hold more rows than a page, so an encoder thread writes them.
    const settings = { threads: 2, batchBytes: 256 * 1024 };
    const lake = await tempLake(settings);
    await stopIdleEncoderThreads(); // kept by the tests before
    const started = encoderThreadsStarted();
    const a = await ingestFile(lake, clicks, 'ad_clicks', 'a.csv');
    expect(encoderThreadsStarted() - started).toBe(1);
    const b = await ingestFile(lake, clicks, 'ad_clicks', 'b.csv');
    expect(encoderThreadsStarted() - started).toBe(1);
    // The kept thread writes what a thread of its own (and one thread) writes.
    const single = await tempLake({ ...settings, threads: 1 });
    const c = await ingestFile(single, clicks, 'ad_clicks', 'b.csv');
    const conn = await duck();
    const files = (l: LocalLake, r: typeof a) => sqlList(r.manifest.files.map((f) => l.lake.path(f.key)));
    const differ = async (x: string, y: string) =>
      (
        await rows(
          conn,
          `SELECT count(*)::INT AS n FROM (SELECT * EXCLUDE (${LINEAGE_VARIES}, _source_key) FROM read_parquet(${x}) EXCEPT ALL SELECT * EXCLUDE (${LINEAGE_VARIES}, _source_key) FROM read_parquet(${y}))`,
        )
      )[0].n;
    expect(b.manifest.rowsWritten).toBe(100_000);
    expect(await differ(files(lake, b), files(single, c))).toBe(0);
    expect(await differ(files(single, c), files(lake, a))).toBe(0);
    const groups = async (l: LocalLake, r: typeof a) =>
      rows(conn, `SELECT row_group_id, row_group_num_rows FROM parquet_metadata(${files(l, r)}) WHERE column_id = 0`);
    expect(await groups(lake, b)).toEqual(await groups(single, c));

    // A run that fails after its encoder thread started (gzip cut short) does not hand that thread on.
    const gz = await readFile(`${clicks}.gz`);
    const dir = await tempDir();
    await writeFile(join(dir, 'cut.csv.gz'), gz.subarray(0, Math.floor(gz.length * 0.7)));
    const cut = await ingestFile(lake, join(dir, 'cut.csv.gz'), 'ad_clicks');
    expect(cut.manifest.status).toBe('rejected');
    expect(encoderThreadsStarted() - started).toBe(1);
    await ingestFile(lake, clicks, 'ad_clicks', 'd.csv');
    expect(encoderThreadsStarted() - started).toBe(2);
  });
});

describe('encoder threads started early', () => {
  it('start before the first batch when asked (prestart), once per run, kept by a run that wrote nothing', async () => {
    await stopIdleEncoderThreads(); // kept by the tests before
    const started = encoderThreadsStarted();
    const store = new FolderStore(await tempDir(), 'test');
    const writer = (threads: number) =>
      new RollingParquetWriter(store, {
        keyFor: (n) => `out-${n}.parquet`,
        targetBytes: 1 << 20,
        rowGroupBatches: 2,
        tuning: () => ({ metadata: {}, rowGroupRows: 1000 }),
        encoder: { threads },
      });
    const first = writer(2);
    first.prestart();
    expect(encoderThreadsStarted() - started).toBe(1);
    first.prestart();
    expect(encoderThreadsStarted() - started).toBe(1);
    expect(await first.close()).toEqual([]);
    // The next run's early start takes the thread the first kept.
    const second = writer(2);
    second.prestart();
    expect(encoderThreadsStarted() - started).toBe(1);
    await second.close();
    // One thread: nothing to start.
    const inline = writer(1);
    inline.prestart();
    await inline.close();
    expect(encoderThreadsStarted() - started).toBe(1);
  });
});

describe('batches in flight to an encoder thread', () => {
  it("are bounded over the encoder's row groups, not per row group (row groups smaller than a page)", async () => {
    const contract = (await loadContracts(fileURLToPath(new URL('../contracts', import.meta.url)))).find(
      (c) => c.dataset === 'ad_clicks',
    )!;
    const csv = await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'));
    // Small batches and row groups of four: a row group holds fewer rows than a page, so the encoder keeps all of its
    // batches until it closes, and the converting thread may send a row group whole ahead (see batchesAhead).
    const decoder = new WasmCsvDecoder(contract, { batchBytes: 64 * 1024 });
    const batches = [decoder.push(csv), decoder.end()].flatMap((o) => o.batches);
    const schema = rawSchema(contract);
    const rowGroupBatches = 4;
    expect(batches[0].rowCount * rowGroupBatches).toBeLessThan(PAGE_ROWS);
    // The encoder thread gives each batch's buffers back in one 'release' (transferred, so new objects here).
    let back = 0;
    let sent = 0;
    let most = 0;
    const writer = new RollingParquetWriter(new FolderStore(await tempDir(), 'test'), {
      keyFor: (n) => `out-${n}.parquet`,
      targetBytes: 1 << 30,
      rowGroupBatches,
      tuning: () => ({
        metadata: {},
        rowGroupRows: batches[0].rowCount * rowGroupBatches,
        constants: { _batch_id: 'b', _source_key: 'k', _ingested_at: 0 },
      }),
      encoder: {
        threads: 2,
        release: () => {
          back++;
        },
      },
    });
    for (const b of batches) {
      await writer.write(toRecordBatch(schema, b, { batchId: 'b', sourceKey: 'k', ingestedAtMicros: 0 }));
      sent++;
      most = Math.max(most, sent - back);
    }
    const files = await writer.close();
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(100_000);
    expect(batches.length).toBeGreaterThan(8 * rowGroupBatches);
    // Every batch came back; at most the row group being written and one row group ahead were out at once (the
    // limit per row group alone let the converting thread run SIZE_LAG row groups ahead).
    expect(back).toBe(batches.length);
    expect(most).toBeLessThanOrEqual(2 * rowGroupBatches + 1);
    expect(most).toBeGreaterThan(rowGroupBatches);
  });
});

describe("the encoder thread's script from a checkout", () => {
  it('is bundled once into a cache folder and used until a file it was built from changes', async () => {
    const dir = await tempDir();
    const src = join(dir, 'src');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'dep.mjs'), 'export const word = "first";\n');
    await writeFile(join(src, 'entry.mjs'), 'import { word } from "./dep.mjs";\nexport default word;\n');
    const cache = join(dir, 'cache');
    const built = bundledScript(join(src, 'entry.mjs'), cache, 'w');
    expect(built.protocol).toBe('file:');
    const script = fileURLToPath(built);
    expect(await readFile(script, 'utf8')).toContain('"first"');
    const firstBuild = (await stat(script)).mtimeMs;
    // Unchanged sources: the build is used as it is (not written again).
    await new Promise((r) => setTimeout(r, 20));
    expect(bundledScript(join(src, 'entry.mjs'), cache, 'w').href).toBe(built.href);
    expect((await stat(script)).mtimeMs).toBe(firstBuild);
    // A source newer than the build: bundled again, with the change.
    await writeFile(join(src, 'dep.mjs'), 'export const word = "second";\n');
    const later = new Date(Date.now() + 5_000);
    await utimes(join(src, 'dep.mjs'), later, later);
    bundledScript(join(src, 'entry.mjs'), cache, 'w');
    expect(await readFile(script, 'utf8')).toContain('"second"');
    // The thread itself runs from such a file: the module it exports loads.
    expect((await import(`${built.href}?again`)).default).toBe('second');
  });
});
