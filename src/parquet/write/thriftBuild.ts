// Builders for the generic Thrift tree of thriftCompact.ts: Parquet's page headers, column metadata and footer.
import { TType, type ThriftField, type ThriftStruct, type ThriftValue } from '../thriftCompact.ts';

const utf8 = new TextEncoder();

export const i32 = (id: number, value: number): ThriftField => ({ id, type: TType.I32, value });
export const i64 = (id: number, value: number | bigint): ThriftField => ({ id, type: TType.I64, value: BigInt(value) });
export const bin = (id: number, value: Uint8Array): ThriftField => ({ id, type: TType.Binary, value });
export const str = (id: number, value: string): ThriftField => bin(id, utf8.encode(value));
export const bool = (id: number, value: boolean): ThriftField => ({ id, type: TType.True, value });
export const struct = (id: number, fields: ThriftField[]): ThriftField => ({
  id,
  type: TType.Struct,
  value: { fields },
});
export const list = (id: number, elemType: TType, items: ThriftValue[]): ThriftField => ({
  id,
  type: TType.List,
  value: { elemType, items },
});
/** A struct value (a list item). */
export const record = (fields: ThriftField[]): ThriftStruct => ({ fields });
/** Drops the fields left undefined (optional fields not written). */
export const fields = (...f: (ThriftField | undefined | false)[]): ThriftField[] => f.filter((x) => !!x);
