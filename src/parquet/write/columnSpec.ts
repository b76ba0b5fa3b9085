// What the row-group writer needs to know of each column, as plain data (it crosses to encoder threads).

/** Rows per data page at most (parquet-rs's default row limit: the page index can skip 20,000 rows at a time). */
export const PAGE_ROWS = 20_000;

/** Parquet physical types (parquet.thrift's Type). */
export const PHYSICAL = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const;

export type LogicalType =
  | { kind: 'string' }
  | { kind: 'date' }
  | { kind: 'decimal'; scale: number; precision: number }
  | { kind: 'timestamp'; utc: boolean };

export interface ColumnSpec {
  name: string;
  physical: number;
  /** FIXED_LEN_BYTE_ARRAY's width. */
  typeLength?: number;
  nullable: boolean;
  /**
   * How a batch holds the values: an Arrow validity bitmap plus bool: a bitmap; int32: Int32Array; int64: Int32Array
   * of little-endian word pairs; float64: Float64Array; utf8: offsets and bytes; decimal: Uint32Array, four words
   * a value (Arrow's Decimal128); constant: nothing, every row is `constant`.
   */
  input: 'bool' | 'int32' | 'int64' | 'float64' | 'utf8' | 'decimal' | 'constant';
  /** A constant column's value: a string, or a 64-bit integer within 2^53. */
  constant?: string | number;
  convertedType?: number;
  logical?: LogicalType;
  encoding: 'dictionary' | 'plain' | 'delta';
  statistics: boolean;
}

/** One column of one batch, as the decoder's Arrow data holds it (see ColumnSpec.input). */
export interface ColumnValues {
  nullCount: number;
  validity?: Uint8Array;
  values?: Uint8Array | Int32Array | Float64Array | Uint32Array;
  offsets?: Int32Array;
}

/** Everything a row group's writer needs besides the batches. */
export interface RowGroupSpec {
  columns: ColumnSpec[];
  /** Key-value metadata of the file (sorted by key when written). */
  metadata: Record<string, string>;
  createdBy: string;
}
