import {
  type Bool,
  type Data,
  type DataType,
  type DateDay,
  type Decimal,
  type Float64,
  type Int32,
  Int64,
  makeData,
  type TimestampMicrosecond,
  type Utf8,
} from 'apache-arrow';
import type { DecodedBatch } from './csvDecoder.ts';
import { COLUMN_RECORD, TYPE } from './wasmBoundary.ts';
import type { BufferPool } from './bufferPool.ts';
import type { CsvCore } from './wasmCore.ts';

const C = COLUMN_RECORD.offsets;

/**
 * The rows the core holds, as Arrow data: each column buffer copied once out of linear memory, into a buffer of
 * `pool` (its own buffer each: they move to an encoder thread and come back).
 */
export function exportBatch(core: CsvCore, types: DataType[], kinds: number[], pool: BufferPool): DecodedBatch {
  const rows = core.getRows();
  const buffer = core.memory.buffer;
  const mem = new Uint8Array(buffer);
  const words = new Int32Array(buffer);
  /** Bytes [at, at + n) of linear memory, copied into a pooled buffer. */
  const copy = (at: number, n: number): Uint8Array => {
    const out = new Uint8Array(pool.take(n), 0, n);
    out.set(mem.subarray(at, at + n));
    return out;
  };
  const int32s = (at: number, n: number) => new Int32Array(copy(at, n * 4).buffer, 0, n);
  const int64s = (at: number, n: number) => new BigInt64Array(copy(at, n * 8).buffer, 0, n);
  const columns: Data[] = types.map((type, c) => {
    const a = core.columnAddress(c) >> 2;
    const values = words[a + C.values / 4];
    const nullCount = core.nullCount(c);
    const validity = words[a + C.validity / 4];
    const nullBitmap = nullCount ? copy(validity, (rows + 7) >> 3) : undefined;
    // The core's bits past the last row are set (rows not written yet): Arrow's padding, cleared.
    if (nullBitmap && rows & 7) nullBitmap[rows >> 3] &= (1 << (rows & 7)) - 1;
    const common = { length: rows, nullCount, nullBitmap };
    switch (kinds[c]) {
      case TYPE.string: {
        const offsets = words[a + C.offsets / 4];
        const data = words[a + C.data / 4];
        const used = words[a + C.used / 4];
        return makeData({
          ...common,
          type: type as Utf8,
          valueOffsets: int32s(offsets, rows + 1),
          data: copy(data, used),
        });
      }
      case TYPE.int32:
        return makeData({ ...common, type: type as Int32, data: int32s(values, rows) });
      case TYPE.date:
        return makeData({ ...common, type: type as DateDay, data: int32s(values, rows) });
      case TYPE.int64:
        return makeData({ ...common, type: type as Int64, data: int64s(values, rows) });
      case TYPE.timestamp:
        return makeData({
          ...common,
          type: type as TimestampMicrosecond,
          data: int64s(values, rows),
        });
      case TYPE.float64:
        return makeData({
          ...common,
          type: type as Float64,
          data: new Float64Array(copy(values, rows * 8).buffer, 0, rows),
        });
      case TYPE.decimal:
        return makeData({
          ...common,
          type: type as Decimal,
          data: new Uint32Array(copy(values, rows * 16).buffer, 0, rows * 4),
        });
      default:
        return makeData({ ...common, type: type as Bool, data: copy(values, (rows + 7) >> 3) });
    }
  });
  const sourceLines = makeData({
    type: new Int64(),
    length: rows,
    nullCount: 0,
    data: int64s(core.linesAddress(), rows),
  });
  return { rowCount: rows, columns, sourceLines };
}
