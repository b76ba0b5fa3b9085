// The row-group writer's column specs from the raw Arrow schema and the writer tuning, and a record batch's
// columns as the plain buffers the writer (or an encoder thread) takes.
import { DataType, type Field, type RecordBatch, type Schema, TimeUnit } from 'apache-arrow';
import { type ColumnSpec, type ColumnValues, PHYSICAL, type RowGroupSpec } from './columnSpec.ts';

/** How a file's columns are written, whichever writer writes them. */
export interface WriterChoices {
  metadata: Record<string, string>;
  /** Columns written without a dictionary (nearly unique values: see writerTuning.ts). */
  plainColumns?: string[];
  /** Integer columns that rise steadily (source line numbers, timestamps): delta-encoded, no dictionary. */
  deltaColumns?: string[];
  /** Columns without statistics (one value per file: min/max tell a reader nothing and cost encoding time). */
  noStatisticsColumns?: string[];
  /** Columns whose every row holds one value (the lineage): Landfall's writer takes them from here, not per batch. */
  constants?: Record<string, string | number>;
}

const CONVERTED = { UTF8: 0, DECIMAL: 5, DATE: 6, TIMESTAMP_MICROS: 10 } as const;

/**
 * The file's created_by, in the form parquet-mr (Spark, Hive, Glue) and Trino parse, `<name> version <semver>`, to
 * decide which statistics to trust. The version is package.json's (tests/parquetWriter.test.ts holds them equal).
 */
export const CREATED_BY = 'landfall version 0.1.0';

export function rowGroupSpec(schema: Schema, t: WriterChoices): RowGroupSpec {
  return { columns: schema.fields.map((f) => columnSpec(f, t)), metadata: t.metadata, createdBy: CREATED_BY };
}

function columnSpec(f: Field, t: WriterChoices): ColumnSpec {
  const type = f.type;
  const constant = t.constants?.[f.name];
  const base = {
    name: f.name,
    nullable: f.nullable,
    statistics: !t.noStatisticsColumns?.includes(f.name),
    encoding: t.deltaColumns?.includes(f.name)
      ? ('delta' as const)
      : t.plainColumns?.includes(f.name)
        ? ('plain' as const)
        : ('dictionary' as const),
    ...(constant !== undefined ? { input: 'constant' as const, constant, encoding: 'dictionary' as const } : {}),
  };
  const input = <T extends ColumnSpec['input']>(i: T) => (constant !== undefined ? 'constant' : i);
  if (DataType.isUtf8(type) || (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary))) {
    if (DataType.isDictionary(type) && constant === undefined)
      throw new Error(`column ${f.name}: dictionary columns are written as constants only`);
    return {
      ...base,
      input: input('utf8'),
      physical: PHYSICAL.BYTE_ARRAY,
      convertedType: CONVERTED.UTF8,
      logical: { kind: 'string' },
    };
  }
  if (DataType.isInt(type) && type.bitWidth === 32 && type.isSigned)
    return { ...base, input: input('int32'), physical: PHYSICAL.INT32 };
  if (DataType.isInt(type) && type.bitWidth === 64 && type.isSigned)
    return { ...base, input: input('int64'), physical: PHYSICAL.INT64 };
  if (DataType.isFloat(type) && type.precision === 2)
    return { ...base, input: input('float64'), physical: PHYSICAL.DOUBLE };
  if (DataType.isBool(type)) return { ...base, input: input('bool'), physical: PHYSICAL.BOOLEAN, encoding: 'plain' };
  if (DataType.isDate(type))
    return {
      ...base,
      input: input('int32'),
      physical: PHYSICAL.INT32,
      convertedType: CONVERTED.DATE,
      logical: { kind: 'date' },
    };
  if (DataType.isTimestamp(type) && type.unit === TimeUnit.MICROSECOND)
    return {
      ...base,
      input: input('int64'),
      physical: PHYSICAL.INT64,
      convertedType: CONVERTED.TIMESTAMP_MICROS,
      logical: { kind: 'timestamp', utc: !!type.timezone },
    };
  if (DataType.isDecimal(type) && type.bitWidth === 128) {
    const { precision, scale } = type;
    // Like parquet-rs: INT32 up to 9 digits, INT64 up to 18, else the fewest bytes that hold the precision.
    const physical = precision <= 9 ? PHYSICAL.INT32 : precision <= 18 ? PHYSICAL.INT64 : PHYSICAL.FIXED_LEN_BYTE_ARRAY;
    const fixed = physical === PHYSICAL.FIXED_LEN_BYTE_ARRAY;
    return {
      ...base,
      input: input('decimal'),
      physical,
      ...(fixed ? { typeLength: Math.ceil((precision * Math.log2(10) + 1) / 8), encoding: 'plain' as const } : {}),
      convertedType: CONVERTED.DECIMAL,
      logical: { kind: 'decimal', scale, precision },
    };
  }
  throw new Error(`column ${f.name}: the Parquet writer does not take Arrow type ${type}`);
}

/** A batch's columns as the writer takes them (null for constant columns), and every buffer they use. */
export function columnValues(
  spec: RowGroupSpec,
  batch: RecordBatch,
): { values: (ColumnValues | null)[]; buffers: ArrayBuffer[] } {
  const buffers = new Set<ArrayBuffer>();
  const values = spec.columns.map((c, i) => {
    if (c.input === 'constant') return null;
    const d = batch.data.children[i];
    if (d.offset !== 0) throw new Error(`column ${c.name}: sliced Arrow data is not supported`);
    const raw = d.values as ArrayBufferView;
    const values =
      c.input === 'int64'
        ? new Int32Array(raw.buffer, raw.byteOffset, d.length * 2)
        : (raw as Uint8Array | Int32Array | Float64Array | Uint32Array);
    const v: ColumnValues = { nullCount: d.nullCount, values };
    buffers.add(values.buffer as ArrayBuffer);
    if (d.nullCount > 0 && d.nullBitmap?.length) {
      v.validity = d.nullBitmap;
      buffers.add(d.nullBitmap.buffer as ArrayBuffer);
    }
    if (c.input === 'utf8') {
      v.offsets = d.valueOffsets as Int32Array;
      buffers.add(v.offsets.buffer as ArrayBuffer);
    }
    return v;
  });
  return { values, buffers: [...buffers] };
}
