// A complete Parquet file of one row group, written by Landfall's own encoder: the decoder's column buffers go
// straight into pages (PLAIN, RLE_DICTIONARY, DELTA_BINARY_PACKED; data page v1; ZSTD), with statistics, the
// page indexes and a footer laid out as parquet-rs lays them out, so that ParquetStitcher joins the row groups
// that encoder threads write into one file.
import { TType, ThriftWriter } from '../thriftCompact.ts';
import { ColumnChunkWriter, PageScratch } from './columnChunkWriter.ts';
import type { ColumnSpec, ColumnValues, RowGroupSpec } from './columnSpec.ts';
import { bool, fields, i32, i64, list, record, str, struct } from './thriftBuild.ts';
import type { Zstd } from './zstd.ts';

const MAGIC = new TextEncoder().encode('PAR1');

export class RowGroupWriter {
  private readonly columns: ColumnChunkWriter[];
  private rows = 0;
  private seq = 0;
  /** Batches whose buffers pending pages may still read, oldest first. */
  private readonly held: { seq: number; buffers: ArrayBuffer[] }[] = [];

  /** `release` gets each batch's buffers back once no page to be written refers to them. */
  constructor(
    private readonly spec: RowGroupSpec,
    zstd: Zstd,
    private readonly release: (buffers: ArrayBuffer[]) => void = () => undefined,
  ) {
    const scratch = PageScratch.for(zstd);
    this.columns = spec.columns.map((c) => new ColumnChunkWriter(c, scratch));
  }

  /** One batch: a column's values in spec order (null for constant columns), and the buffers they are in. */
  push(rows: number, values: (ColumnValues | null)[], buffers: ArrayBuffer[] = []): void {
    const seq = this.seq++;
    if (rows) for (let c = 0; c < this.columns.length; c++) this.columns[c].push(values[c], rows, seq);
    this.rows += rows;
    this.held.push({ seq, buffers });
    let oldest = Infinity;
    for (const c of this.columns) oldest = Math.min(oldest, c.oldestHeld);
    this.releaseBefore(oldest);
  }

  private releaseBefore(seq: number): void {
    while (this.held.length && this.held[0].seq < seq) {
      const { buffers } = this.held.shift()!;
      if (buffers.length) this.release(buffers);
    }
  }

  /** The file, as the chunks it is made of. */
  finish(): Uint8Array[] {
    // Every part in a buffer of its own (they are transferred to the converting thread): the magic bytes copied.
    const out: Uint8Array[] = [MAGIC.slice()];
    let at = MAGIC.length;
    const chunks = this.columns.map((c) => {
      const f = c.finish(at);
      out.push(...f.pages);
      at += f.bytes;
      return f;
    });
    this.releaseBefore(Infinity);
    const groupStart = MAGIC.length;
    // Like parquet-rs: every column index, then every offset index, then the footer.
    for (const f of chunks) {
      if (!f.columnIndex) continue;
      f.chunk.fields.push(i64(6, at), i32(7, f.columnIndex.length));
      out.push(f.columnIndex);
      at += f.columnIndex.length;
    }
    for (const f of chunks) {
      f.chunk.fields.push(i64(4, at), i32(5, f.offsetIndex.length));
      out.push(f.offsetIndex);
      at += f.offsetIndex.length;
    }
    for (const f of chunks) f.chunk.fields.sort((a, b) => a.id - b.id);
    let uncompressed = 0;
    let compressed = 0;
    for (const f of chunks) {
      uncompressed += f.uncompressed;
      compressed += f.bytes;
    }
    const kv = Object.entries(this.spec.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const footer = record(
      fields(
        i32(1, 1),
        list(2, TType.Struct, [
          record([str(4, 'arrow_schema'), i32(5, this.spec.columns.length)]),
          ...this.spec.columns.map(schemaElement),
        ]),
        i64(3, this.rows),
        list(4, TType.Struct, [
          record([
            list(
              1,
              TType.Struct,
              chunks.map((f) => f.chunk),
            ),
            i64(2, uncompressed),
            i64(3, this.rows),
            i64(5, groupStart),
            i64(6, compressed),
            { id: 7, type: TType.I16, value: 0 },
          ]),
        ]),
        kv.length > 0 &&
          list(
            5,
            TType.Struct,
            kv.map(([k, v]) => record([str(1, k), str(2, v)])),
          ),
        str(6, this.spec.createdBy),
        list(
          7,
          TType.Struct,
          this.spec.columns.map(() => record([struct(1, [])])),
        ),
      ),
    );
    const w = new ThriftWriter();
    w.writeStruct(footer);
    const bytes = w.bytes();
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, bytes.length, true);
    tail.set(MAGIC, 4);
    out.push(bytes, tail);
    return out;
  }
}

/** parquet.thrift's SchemaElement of a leaf column. */
function schemaElement(c: ColumnSpec) {
  const l = c.logical;
  const logical =
    l &&
    struct(
      10,
      l.kind === 'string'
        ? [struct(1, [])]
        : l.kind === 'date'
          ? [struct(6, [])]
          : l.kind === 'decimal'
            ? [struct(5, [i32(1, l.scale), i32(2, l.precision)])]
            : [struct(8, [bool(1, l.utc), struct(2, [struct(2, [])])])],
    );
  return record(
    fields(
      i32(1, c.physical),
      c.typeLength !== undefined && i32(2, c.typeLength),
      i32(3, c.nullable ? 1 : 0),
      str(4, c.name),
      c.convertedType !== undefined && i32(6, c.convertedType),
      l?.kind === 'decimal' && i32(7, l.scale),
      l?.kind === 'decimal' && i32(8, l.precision),
      logical,
    ),
  );
}
