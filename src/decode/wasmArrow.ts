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
import type { CsvCore } from './wasmCore.ts';

const C = COLUMN_RECORD.offsets;

/** The rows the core holds, as Arrow data: each column buffer copied once out of linear memory. */
export function exportBatch(core: CsvCore, types: DataType[], kinds: number[]): DecodedBatch {
  const rows = core.getRows();
  const buffer = core.memory.buffer;
  const mem = new Uint8Array(buffer);
  const words = new Int32Array(buffer);
  const columns: Data[] = types.map((type, c) => {
    const a = core.columnAddress(c) >> 2;
    const values = words[a + C.values / 4];
    const nullCount = core.nullCount(c);
    const validity = words[a + C.validity / 4];
    const nullBitmap = nullCount ? mem.slice(validity, validity + ((rows + 7) >> 3)) : undefined;
    const common = { length: rows, nullCount, nullBitmap };
    switch (kinds[c]) {
      case TYPE.string: {
        const offsets = words[a + C.offsets / 4];
        const data = words[a + C.data / 4];
        const used = words[a + C.used / 4];
        return makeData({
          ...common,
          type: type as Utf8,
          valueOffsets: new Int32Array(buffer, offsets, rows + 1).slice(),
          data: mem.slice(data, data + used),
        });
      }
      case TYPE.int32:
        return makeData({ ...common, type: type as Int32, data: new Int32Array(buffer, values, rows).slice() });
      case TYPE.date:
        return makeData({ ...common, type: type as DateDay, data: new Int32Array(buffer, values, rows).slice() });
      case TYPE.int64:
        return makeData({ ...common, type: type as Int64, data: new BigInt64Array(buffer, values, rows).slice() });
      case TYPE.timestamp:
        return makeData({
          ...common,
          type: type as TimestampMicrosecond,
          data: new BigInt64Array(buffer, values, rows).slice(),
        });
      case TYPE.float64:
        return makeData({ ...common, type: type as Float64, data: new Float64Array(buffer, values, rows).slice() });
      case TYPE.decimal:
        return makeData({
          ...common,
          type: type as Decimal,
          data: new Uint32Array(buffer, values, rows * 4).slice(),
        });
      default:
        return makeData({ ...common, type: type as Bool, data: mem.slice(values, values + ((rows + 7) >> 3)) });
    }
  });
  const sourceLines = makeData({
    type: new Int64(),
    length: rows,
    nullCount: 0,
    data: new BigInt64Array(buffer, core.linesAddress(), rows).slice(),
  });
  return { rowCount: rows, columns, sourceLines };
}
