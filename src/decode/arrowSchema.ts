import {
  Dictionary,
  Field,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  makeData,
  makeVector,
  type Data,
} from 'apache-arrow';
import { createColumnBuilder } from './columnBuilders.ts';
import type { Contract } from '../contracts/contract.ts';
import { BATCH_ID, INGESTED_AT, SOURCE_KEY, SOURCE_LINE } from '../lake/layout.ts';
import type { DecodedBatch } from './csvDecoder.ts';

export interface Lineage {
  batchId: string;
  sourceKey: string;
  /** Microseconds since the epoch. */
  ingestedAtMicros: number;
}

/** The Arrow schema of a dataset's raw Parquet: contract columns, then lineage. */
export function rawSchema(contract: Contract): Schema {
  const fields = contract.columns.map((c) => new Field(c.name, createColumnBuilder(c, 'utf-8').arrowType, c.nullable));
  return new Schema([
    ...fields,
    new Field(BATCH_ID, dictionaryUtf8(0), false),
    new Field(SOURCE_KEY, dictionaryUtf8(1), false),
    new Field(SOURCE_LINE, new Int64(), false),
    new Field(INGESTED_AT, new TimestampMicrosecond('UTC'), false),
  ]);
}

function dictionaryUtf8(id: number): Dictionary<Utf8, Int32> {
  return new Dictionary(new Utf8(), new Int32(), id);
}

/**
 * A run's lineage columns are the same for every batch: their buffers are made once per lineage and shared by the
 * batches (read-only: encoders read them or skip them, nothing writes into them or transfers them). Making them per
 * batch allocated 16 bytes a row (100 MB for the 256 MB click log), and their garbage collection was a tenth of the
 * decoding thread's time. Each column has its own buffer: two dictionary columns on one buffer made apache-arrow's
 * IPC stream unreadable to parquet-wasm ("Dyn casting error").
 */
interface SharedLineage {
  batchIds: Int32Array;
  sourceKeys: Int32Array;
  micros: BigInt64Array;
}
const shared = new WeakMap<Lineage, SharedLineage>();

function sharedBuffers(lineage: Lineage, length: number): SharedLineage {
  let b = shared.get(lineage);
  if (!b || b.micros.length < length) {
    b = {
      batchIds: new Int32Array(length),
      sourceKeys: new Int32Array(length),
      micros: constantMicros(lineage.ingestedAtMicros, length),
    };
    shared.set(lineage, b);
  }
  return {
    batchIds: b.batchIds.subarray(0, length),
    sourceKeys: b.sourceKeys.subarray(0, length),
    micros: b.micros.subarray(0, length),
  };
}

/** Constant strings as a one-entry dictionary: a few bytes per batch however many rows. */
function constantString(type: Dictionary<Utf8, Int32>, value: string, zeros: Int32Array): Data {
  const length = zeros.length;
  const bytes = new TextEncoder().encode(value);
  const dictionary = makeData({
    type: new Utf8(),
    length: 1,
    nullCount: 0,
    valueOffsets: new Int32Array([0, bytes.length]),
    data: bytes,
  });
  // apache-arrow's typings reject Int32Array indices for dictionaries although the runtime takes them.
  const props = { type, length, nullCount: 0, data: zeros, dictionary: makeVector(dictionary) };
  return makeData(props as never) as Data;
}

function constantMicros(micros: number, length: number): BigInt64Array {
  const words = new Uint32Array(length * 2);
  const hi = Math.floor(micros / 4294967296);
  const lo = micros - hi * 4294967296;
  for (let i = 0; i < length; i++) {
    words[i * 2] = lo;
    words[i * 2 + 1] = hi;
  }
  return new BigInt64Array(words.buffer);
}

export function toRecordBatch(schema: Schema, batch: DecodedBatch, lineage: Lineage): RecordBatch {
  const n = batch.rowCount;
  const f = schema.fields;
  const k = batch.columns.length;
  const { batchIds, sourceKeys, micros } = sharedBuffers(lineage, n);
  const children = [
    ...batch.columns,
    constantString(f[k].type as Dictionary<Utf8, Int32>, lineage.batchId, batchIds),
    constantString(f[k + 1].type as Dictionary<Utf8, Int32>, lineage.sourceKey, sourceKeys),
    batch.sourceLines,
    makeData({ type: f[k + 3].type as TimestampMicrosecond, length: n, nullCount: 0, data: micros }),
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(f), length: n, nullCount: 0, children }));
}
