import { tableFromArrays, tableToIPC, type Table } from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as pw from 'parquet-wasm/esm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParquetStitcher, readFooter } from '#src/parquet/ParquetStitcher.ts';
import { field, ThriftReader, ThriftWriter, type ThriftList, type ThriftStruct } from '#src/parquet/thriftCompact.ts';
import { duck, rows, sqlList, tempDir } from './helpers.ts';

beforeAll(() => {
  pw.initSync({
    module: readFileSync(createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')),
  });
});

function part(start: number, n: number, extra = false): Table {
  const cols: Record<string, unknown> = {
    id: BigInt64Array.from({ length: n }, (_, i) => BigInt(start + i)),
    city: Array.from({ length: n }, (_, i) => ['Recife', 'São Paulo', 'Curitiba', null][(start + i) % 4]),
    amount: Float64Array.from({ length: n }, (_, i) => (((start + i) * 7919) % 100_003) / 100),
    note: Array.from({ length: n }, (_, i) => ((start + i) % 5 ? `note ${(start + i) * 31}` : null)),
  };
  if (extra) cols.more = Int32Array.from({ length: n }, (_, i) => i);
  return tableFromArrays(cols as Record<string, Int32Array>) as unknown as Table;
}

function encodeFile(t: Table): Uint8Array {
  const props = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setStatisticsEnabled(pw.EnabledStatistics.Page)
    .setDataPageSizeLimit(8 * 1024) // several pages per column chunk, so the offset indexes have work to do
    .setColumnDictionaryEnabled('note', false)
    .build();
  return pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(t, 'stream')), props);
}

async function stitch(parts: Uint8Array[]): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const s = new ParquetStitcher(async (b) => {
    out.push(b.slice());
  });
  for (const p of parts) await s.append(p);
  const size = await s.finish();
  const file = Buffer.concat(out);
  expect(file.length).toBe(size);
  return file;
}

function list(s: ThriftStruct, id: number): ThriftStruct[] {
  return (field(s, id)!.value as ThriftList).items as ThriftStruct[];
}

/** Page header at `offset`: its type and compressed size (parquet.thrift PageHeader fields 1 and 3). */
function pageAt(file: Uint8Array, offset: number): { type: number; bytes: number } {
  const r = new ThriftReader(file, offset);
  const h = r.readStruct();
  return { type: field(h, 1)!.value as number, bytes: r.pos - offset + (field(h, 3)!.value as number) };
}

describe('ParquetStitcher', () => {
  it('reads and writes Thrift compact footers back to the same bytes', () => {
    const file = encodeFile(part(0, 5000));
    const len = new DataView(file.buffer, file.byteOffset + file.length - 8, 4).getUint32(0, true);
    const original = file.subarray(file.length - 8 - len, file.length - 8);
    const w = new ThriftWriter();
    w.writeStruct(readFooter(file));
    expect(Buffer.from(w.bytes()).equals(Buffer.from(original))).toBe(true);
  });

  it('writes and reads integers of every size as the compact protocol spells them (zigzag varints)', () => {
    // The reference: zigzag and varint in BigInt arithmetic, straight from the protocol's description.
    const varint = (u: bigint) => {
      const out: number[] = [];
      do {
        let b = Number(u & 0x7fn);
        u >>= 7n;
        if (u) b |= 0x80;
        out.push(b);
      } while (u);
      return out;
    };
    const zigzag = (x: bigint, bits: bigint) => BigInt.asUintN(Number(bits), (x << 1n) ^ (x >> (bits - 1n)));
    const i64s = [0n, 1n, -1n, 63n, -64n, 64n, 8191n, 8192n, 2n ** 31n, -(2n ** 31n), 2n ** 48n, 2n ** 49n - 1n];
    i64s.push(2n ** 49n, -(2n ** 49n) - 1n, 2n ** 52n - 1n, -(2n ** 52n), 2n ** 52n, 2n ** 53n + 1n, 2n ** 63n - 1n);
    i64s.push(-(2n ** 63n), 1_700_000_000_000_000n, -1_700_000_000_000_000n);
    const i32s = [0, 1, -1, 63, -64, 64, 2 ** 20, -(2 ** 20), 2 ** 31 - 1, -(2 ** 31)];
    let seed = 99;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let k = 0; k < 500; k++) {
      i32s.push(next() | 0);
      i64s.push(BigInt.asIntN(64, (BigInt(next()) << 32n) | BigInt(next())) >> BigInt(next() % 64));
    }
    for (const x of i64s) {
      const w = new ThriftWriter();
      w.writeStruct({ fields: [{ id: 1, type: 6, value: x }] });
      expect([...w.bytes()]).toEqual([0x16, ...varint(zigzag(x, 64n)), 0]);
      expect(field(new ThriftReader(w.bytes()).readStruct(), 1)!.value).toBe(x);
    }
    for (const x of i32s) {
      // Field id 300: its id written as a zigzag varint too.
      const w = new ThriftWriter();
      w.writeStruct({ fields: [{ id: 300, type: 5, value: x }] });
      expect([...w.bytes()]).toEqual([0x05, ...varint(zigzag(300n, 32n)), ...varint(zigzag(BigInt(x), 32n)), 0]);
      const back = new ThriftReader(w.bytes()).readStruct();
      expect(back.fields).toEqual([{ id: 300, type: 5, value: x }]);
    }
    // Lengths past one byte: a binary of 300 bytes and a list of 200 items.
    const s: ThriftStruct = {
      fields: [
        { id: 1, type: 8, value: new Uint8Array(300).fill(7) },
        { id: 2, type: 9, value: { elemType: 5, items: i32s.slice(0, 200) } },
      ],
    };
    const w = new ThriftWriter();
    w.writeStruct(s);
    expect([...w.bytes().subarray(0, 3)]).toEqual([0x18, ...varint(300n)]);
    expect(new ThriftReader(w.bytes()).readStruct()).toEqual(s);
  });

  it('joins files encoded separately into one file with the rows of all, in order', async () => {
    const sizes = [20_000, 35_000, 2]; // 2: one row would make `note` all null, a different Arrow type
    let start = 0;
    const parts = sizes.map((n) => {
      const p = encodeFile(part(start, n));
      start += n;
      return p;
    });
    const dir = await tempDir();
    const partPaths = await Promise.all(
      parts.map(async (p, i) => {
        const f = join(dir, `part${i}.parquet`);
        await writeFile(f, p);
        return f;
      }),
    );
    const stitched = join(dir, 'stitched.parquet');
    await writeFile(stitched, await stitch(parts));

    const conn = await duck();
    const expected = await rows(
      conn,
      `SELECT id, city, amount, note FROM read_parquet(${sqlList(partPaths)}, filename = true, file_row_number = true) ORDER BY filename, file_row_number`,
    );
    const got = await rows(
      conn,
      `SELECT id, city, amount, note FROM read_parquet('${stitched}', file_row_number = true) ORDER BY file_row_number`,
    );
    expect(got.length).toBe(55_002);
    expect(got).toEqual(expected);
    const groups = await rows(
      conn,
      `SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata('${stitched}') GROUP BY ALL ORDER BY ALL`,
    );
    expect(groups.map((g) => Number(g.n))).toEqual(sizes);
    // Statistics survive: DuckDB prunes on them.
    const [filtered] = await rows(
      conn,
      `SELECT count(*) AS n, min(id) AS lo FROM read_parquet('${stitched}') WHERE id >= 54000`,
    );
    expect(filtered).toEqual({ n: '1002', lo: '54000' });
  });

  it('moves every page offset and page index to where its part landed', async () => {
    const parts = [encodeFile(part(0, 30_000)), encodeFile(part(30_000, 30_000))];
    const file = await stitch(parts);
    const footer = readFooter(file);
    const groups = list(footer, 4);
    expect(groups).toHaveLength(2);
    expect(field(footer, 3)!.value).toBe(60_000n);
    let locations = 0;
    groups.forEach((g, ordinal) => {
      expect(field(g, 7)!.value).toBe(ordinal);
      for (const c of list(g, 1)) {
        const meta = field(c, 3)!.value as ThriftStruct;
        const dict = field(meta, 11);
        if (dict) expect(pageAt(file, Number(dict.value)).type).toBe(2); // DICTIONARY_PAGE
        expect([0, 3]).toContain(pageAt(file, Number(field(meta, 9)!.value)).type); // DATA_PAGE (v1 or v2)
        const at = Number(field(c, 4)!.value);
        const index = new ThriftReader(file.subarray(at, at + Number(field(c, 5)!.value))).readStruct();
        for (const loc of list(index, 1)) {
          const page = pageAt(file, Number(field(loc, 1)!.value));
          expect(page.bytes).toBe(Number(field(loc, 2)!.value)); // header + compressed page
          locations++;
        }
        const ci = Number(field(c, 6)!.value);
        expect(() => new ThriftReader(file.subarray(ci, ci + Number(field(c, 7)!.value))).readStruct()).not.toThrow();
      }
    });
    expect(locations).toBeGreaterThan(2 * 4 * 2);
    const back = pw.readParquet(file).intoIPCStream();
    expect(back.length).toBeGreaterThan(0);
  });

  it('reads a part given as pieces (empty ones too, cut anywhere) as it reads it whole', async () => {
    const parts = [encodeFile(part(0, 30_000)), encodeFile(part(30_000, 20_000))];
    const whole = await stitch(parts);
    let seed = 7;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 5; round++) {
      const out: Uint8Array[] = [];
      const s = new ParquetStitcher(async (b) => {
        out.push(b.slice());
      });
      for (const p of parts) {
        // Cut at random places, small pieces and empty ones among them (a row group from Landfall's writer comes as
        // its pages; the page indexes and the footer are read across the pieces).
        const pieces: Uint8Array[] = [];
        let at = 0;
        while (at < p.length) {
          const n = next(4) === 0 ? 0 : 1 + next(round % 2 ? 64 : 4096);
          pieces.push(p.slice(at, Math.min(p.length, at + n)));
          at += n;
        }
        expect(pieces.length).toBeGreaterThan(10);
        await s.append(pieces);
      }
      await s.finish();
      expect(Buffer.compare(Buffer.concat(out), whole)).toBe(0);
    }
  });

  it('refuses parts whose schemas differ', async () => {
    const s = new ParquetStitcher(async () => undefined);
    await s.append(encodeFile(part(0, 10)));
    await expect(s.append(encodeFile(part(10, 10, true)))).rejects.toThrow(/different schemas/);
  });
});
