import {
  field,
  setField,
  shiftI64,
  ThriftReader,
  ThriftWriter,
  TType,
  type ThriftList,
  type ThriftStruct,
} from './thriftCompact.ts';

// Parquet footer field ids (parquet-format's parquet.thrift).
const FILE = { schema: 2, numRows: 3, rowGroups: 4, keyValueMetadata: 5 } as const;
const ROW_GROUP = { columns: 1, numRows: 3, fileOffset: 5, ordinal: 7 } as const;
const CHUNK = {
  fileOffset: 2,
  meta: 3,
  offsetIndexOffset: 4,
  offsetIndexLength: 5,
  columnIndexOffset: 6,
  columnIndexLength: 7,
} as const;
const META = { dataPageOffset: 9, indexPageOffset: 10, dictionaryPageOffset: 11, bloomFilterOffset: 14 } as const;
const MAGIC = new TextEncoder().encode('PAR1');

interface PageIndexes {
  columnIndex?: Uint8Array;
  offsetIndex?: Uint8Array;
}

/** Bytes finish() adds to each column chunk's metadata: the page indexes' offsets and lengths (four varints). */
const INDEX_FIELDS_BYTES = 24;

/**
 * Joins Parquet files written with the same schema and writer settings (one per row group, encoded on
 * different threads) into one file: each part's column chunks are copied as they are, and the footer is
 * rewritten with every offset moved to where the part landed. The page indexes (column and offset indexes)
 * move too, so readers that skip pages by them keep working. The result is byte for byte what a single
 * writer would produce from the same row groups, apart from those offsets.
 */
export class ParquetStitcher {
  private pos = 0;
  private template: ThriftStruct | null = null;
  private schemaBytes: Uint8Array | null = null;
  private readonly rowGroups: ThriftStruct[] = [];
  private readonly indexes: PageIndexes[][] = [];
  private rows = 0n;
  /** What finish() will write after the row groups (page indexes, footer, tail), as estimated so far. */
  private tail = 0;
  /** The part of `tail` that does not grow with the row groups: the footer's schema and metadata, length, magic. */
  private base = 0;

  /** `write` receives the output bytes in order. */
  constructor(private readonly write: (bytes: Uint8Array) => Promise<void>) {}

  /** Bytes written so far (the footer not included). */
  get size(): number {
    return this.pos;
  }

  /**
   * The file's size if finished now: the bytes written plus the page indexes and the footer that finish() adds
   * (each row group's metadata as encoded, plus the index offsets it will get). Small row groups carry a footer
   * that is a good part of the file, so a file rolled by size must count it.
   */
  get finishedSize(): number {
    return this.pos + this.tail;
  }

  /** The part of finishedSize paid once per file, whatever its row groups (0 before the first part). */
  get fixedSize(): number {
    return this.base + (this.pos ? MAGIC.length : 0);
  }

  /** Appends every row group of a complete Parquet file, given whole or as the chunks it was written in. */
  async append(part: Uint8Array | Uint8Array[]): Promise<void> {
    const file = new Chunked(Array.isArray(part) ? part : [part]);
    const tail = file.slice(file.length - 8, file.length);
    const footerLen = footerLength(file.slice(0, 4), tail);
    const footer = new ThriftReader(file.slice(file.length - 8 - footerLen, file.length - 8)).readStruct();
    this.checkSchema(footer);
    const groups =
      ((field(footer, FILE.rowGroups)?.value as ThriftList | undefined)?.items as ThriftStruct[] | undefined) ?? [];
    if (!groups.length) return;
    let dataEnd = file.length - 8 - footerLen;
    for (const g of groups) {
      for (const c of columnsOf(g)) {
        for (const id of [CHUNK.columnIndexOffset, CHUNK.offsetIndexOffset]) {
          const f = field(c, id);
          if (f) dataEnd = Math.min(dataEnd, Number(f.value));
        }
      }
    }
    if (this.pos === 0) await this.emit(MAGIC);
    const delta = BigInt(this.pos - 4);
    for (const piece of file.views(4, dataEnd)) await this.emit(piece);
    for (const g of groups) {
      const pageIndexes: PageIndexes[] = [];
      for (const c of columnsOf(g)) {
        const fo = field(c, CHUNK.fileOffset);
        if (fo && (fo.value as bigint) > 0n) fo.value = (fo.value as bigint) + delta;
        const meta = field(c, CHUNK.meta)?.value as ThriftStruct;
        if (field(meta, META.bloomFilterOffset)) throw new Error('ParquetStitcher: bloom filters are not supported');
        for (const id of [META.dataPageOffset, META.indexPageOffset, META.dictionaryPageOffset])
          shiftI64(meta, id, delta);
        const indexes = {
          columnIndex: slice(file, c, CHUNK.columnIndexOffset, CHUNK.columnIndexLength),
          offsetIndex: movedOffsetIndex(file, c, delta),
        };
        pageIndexes.push(indexes);
        this.tail += (indexes.columnIndex?.length ?? 0) + (indexes.offsetIndex?.length ?? 0) + INDEX_FIELDS_BYTES;
        c.fields = c.fields.filter((f) => f.id < CHUNK.offsetIndexOffset || f.id > CHUNK.columnIndexLength);
      }
      shiftI64(g, ROW_GROUP.fileOffset, delta);
      setField(g, ROW_GROUP.ordinal, TType.I16, this.rowGroups.length);
      this.tail += encode(g).length;
      this.rows += field(g, ROW_GROUP.numRows)?.value as bigint;
      this.rowGroups.push(g);
      this.indexes.push(pageIndexes);
    }
  }

  /** Writes the page indexes and the footer; returns the file's size. Nothing is written if no part was. */
  async finish(): Promise<number> {
    if (!this.template) return 0;
    // Like parquet-rs: every column index, then every offset index, then the footer.
    for (const [kind, offsetId, lengthId] of [
      ['columnIndex', CHUNK.columnIndexOffset, CHUNK.columnIndexLength],
      ['offsetIndex', CHUNK.offsetIndexOffset, CHUNK.offsetIndexLength],
    ] as const) {
      for (let g = 0; g < this.rowGroups.length; g++) {
        const columns = columnsOf(this.rowGroups[g]);
        for (let c = 0; c < columns.length; c++) {
          const bytes = this.indexes[g][c][kind];
          if (!bytes) continue;
          setField(columns[c], offsetId, TType.I64, BigInt(this.pos));
          setField(columns[c], lengthId, TType.I32, bytes.length);
          await this.emit(bytes);
        }
      }
    }
    const footer = this.template;
    setField(footer, FILE.numRows, TType.I64, this.rows);
    setField(footer, FILE.rowGroups, TType.List, { elemType: TType.Struct, items: this.rowGroups });
    // parquet-wasm passes key-value metadata through a hash map seeded per instance: sort it, so that the
    // same input gives the same bytes whichever thread encoded the first row group.
    const kv = field(footer, FILE.keyValueMetadata)?.value as ThriftList | undefined;
    kv?.items.sort((a, b) =>
      Buffer.compare(
        field(a as ThriftStruct, 1)!.value as Uint8Array,
        field(b as ThriftStruct, 1)!.value as Uint8Array,
      ),
    );
    const bytes = encode(footer);
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, bytes.length, true);
    tail.set(MAGIC, 4);
    await this.emit(bytes);
    await this.emit(tail);
    return this.pos;
  }

  private checkSchema(footer: ThriftStruct): void {
    const schema = encode({ fields: [field(footer, FILE.schema)!] });
    if (!this.template) {
      this.template = footer;
      this.schemaBytes = schema;
      // The footer without its row groups (schema, key-value metadata), the list header, the length and magic.
      this.base = encode({ fields: footer.fields.filter((f) => f.id !== FILE.rowGroups) }).length + 5 + 8;
      this.tail += this.base;
    } else if (Buffer.compare(schema, this.schemaBytes!) !== 0) {
      throw new Error('ParquetStitcher: parts have different schemas');
    }
  }

  private async emit(bytes: Uint8Array): Promise<void> {
    this.pos += bytes.length;
    await this.write(bytes);
  }
}

/** The footer length from a file's first 4 and last 8 bytes. */
function footerLength(head: Uint8Array, tail: Uint8Array): number {
  if (Buffer.compare(head, MAGIC) !== 0 || Buffer.compare(tail.subarray(4), MAGIC) !== 0)
    throw new Error('not a Parquet file (no PAR1 magic at both ends)');
  return new DataView(tail.buffer, tail.byteOffset, 4).getUint32(0, true);
}

/** The FileMetaData of a complete Parquet file. */
export function readFooter(file: Uint8Array): ThriftStruct {
  if (file.length < 12) throw new Error('not a Parquet file (too short)');
  return new ThriftReader(
    file,
    file.length - 8 - footerLength(file.subarray(0, 4), file.subarray(file.length - 8)),
  ).readStruct();
}

/** A file held as the chunks it was written in: read without joining them (a row group's data is large). */
class Chunked {
  readonly length: number;
  /** Where each chunk starts in the file (a row group from Landfall's writer comes as its pages: hundreds of chunks). */
  private readonly starts: number[] = [];
  constructor(private readonly chunks: Uint8Array[]) {
    let at = 0;
    for (const c of chunks) {
      this.starts.push(at);
      at += c.length;
    }
    this.length = at;
  }

  /** The pieces of [start, end), as views. */
  *views(start: number, end: number): Generator<Uint8Array> {
    // The last chunk starting at or before `start` (a column's page indexes are read one small slice at a time).
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= start) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < this.chunks.length && this.starts[i] < end; i++) {
      const c = this.chunks[i];
      const at = this.starts[i];
      const a = Math.max(start, at);
      const b = Math.min(end, at + c.length);
      if (a < b) yield c.subarray(a - at, b - at);
    }
  }

  /** A copy of [start, end). */
  slice(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    let o = 0;
    for (const v of this.views(start, end)) {
      out.set(v, o);
      o += v.length;
    }
    return out;
  }
}

function columnsOf(rowGroup: ThriftStruct): ThriftStruct[] {
  return (field(rowGroup, ROW_GROUP.columns)!.value as ThriftList).items as ThriftStruct[];
}

function slice(file: Chunked, chunk: ThriftStruct, offsetId: number, lengthId: number): Uint8Array | undefined {
  const o = field(chunk, offsetId);
  const l = field(chunk, lengthId);
  if (!o || !l) return undefined;
  return file.slice(Number(o.value), Number(o.value) + Number(l.value));
}

/** The chunk's offset index with its page locations (absolute file offsets) moved by `delta`. */
function movedOffsetIndex(file: Chunked, chunk: ThriftStruct, delta: bigint): Uint8Array | undefined {
  const bytes = slice(file, chunk, CHUNK.offsetIndexOffset, CHUNK.offsetIndexLength);
  if (!bytes) return undefined;
  const index = new ThriftReader(bytes).readStruct();
  for (const loc of ((field(index, 1)?.value as ThriftList | undefined)?.items ?? []) as ThriftStruct[])
    shiftI64(loc, 1, delta);
  return encode(index);
}

function encode(s: ThriftStruct): Uint8Array {
  const w = new ThriftWriter();
  w.writeStruct(s);
  return w.bytes();
}
