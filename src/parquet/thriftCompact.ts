/**
 * Thrift's compact protocol, read into a generic tree and written back byte for byte: enough to edit a Parquet
 * footer (offsets, counts) without a generated schema, keeping every field we do not touch as it was.
 * https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
 */

export const enum TType {
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12,
}

export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftList | ThriftMap | ThriftStruct;
export interface ThriftField {
  id: number;
  type: TType;
  value: ThriftValue;
}
export interface ThriftStruct {
  fields: ThriftField[];
}
export interface ThriftList {
  elemType: TType;
  items: ThriftValue[];
}
export interface ThriftMap {
  keyType: TType;
  valueType: TType;
  entries: [ThriftValue, ThriftValue][];
}

export class ThriftReader {
  pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  readStruct(): ThriftStruct {
    const fields: ThriftField[] = [];
    let last = 0;
    for (;;) {
      const head = this.byte();
      if (head === 0) return { fields };
      const type = (head & 0x0f) as TType;
      const delta = head >> 4;
      const id = delta ? last + delta : this.zigzag32();
      last = id;
      const value = type === TType.True ? true : type === TType.False ? false : this.value(type);
      fields.push({ id, type, value });
    }
  }

  private value(type: TType): ThriftValue {
    switch (type) {
      case TType.True:
      case TType.False:
        return this.byte() === 1; // only inside lists: one byte per bool
      case TType.Byte:
        return (this.byte() << 24) >> 24;
      case TType.I16:
      case TType.I32:
        return this.zigzag32();
      case TType.I64:
        return this.zigzag64();
      case TType.Double: {
        const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return v;
      }
      case TType.Binary: {
        const n = this.varintNumber();
        // A copy: a view would keep the whole buffer (a row group's data, for a footer) alive as long as the tree.
        const v = this.bytes.slice(this.pos, this.pos + n);
        if (v.length !== n) throw new Error('thrift: binary runs past the end');
        this.pos += n;
        return v;
      }
      case TType.List:
      case TType.Set: {
        const head = this.byte();
        const n = head >> 4 === 15 ? this.varintNumber() : head >> 4;
        const elemType = (head & 0x0f) as TType;
        const items: ThriftValue[] = [];
        for (let i = 0; i < n; i++) items.push(this.value(elemType));
        return { elemType, items };
      }
      case TType.Map: {
        const n = this.varintNumber();
        if (n === 0) return { keyType: TType.Byte, valueType: TType.Byte, entries: [] };
        const kv = this.byte();
        const keyType = (kv >> 4) as TType;
        const valueType = (kv & 0x0f) as TType;
        const entries: [ThriftValue, ThriftValue][] = [];
        for (let i = 0; i < n; i++) entries.push([this.value(keyType), this.value(valueType)]);
        return { keyType, valueType, entries };
      }
      case TType.Struct:
        return this.readStruct();
      default:
        throw new Error(`thrift: unknown type ${type as number} at byte ${this.pos}`);
    }
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('thrift: unexpected end of data');
    return this.bytes[this.pos++];
  }

  /**
   * An unsigned varint of at most 49 bits as a number, read 7 bits at a time in number arithmetic (BigInt for every
   * varint was most of the time spent reading a 300-column footer); -1, and the position unchanged, for a longer one.
   */
  private smallVarint(): number {
    const start = this.pos;
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) return v;
      scale *= 128;
    }
    this.pos = start;
    return -1;
  }

  private varintNumber(): number {
    const v = this.smallVarint();
    return v >= 0 ? v : Number(this.varint());
  }

  private varint(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  }

  private zigzag32(): number {
    const v = this.varintNumber();
    return (v >>> 1) ^ -(v & 1);
  }

  private zigzag64(): bigint {
    const v = this.smallVarint();
    if (v >= 0) return BigInt(v % 2 ? -(v + 1) / 2 : v / 2);
    // Beyond 49 bits: in BigInt arithmetic.
    const u = this.varint();
    return (u >> 1n) ^ -(u & 1n);
  }
}

export class ThriftWriter {
  // Most structs written are page headers of a few dozen bytes (thousands a file): the buffer grows when needed.
  private buf = new Uint8Array(64);
  private len = 0;

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  writeStruct(s: ThriftStruct): void {
    let last = 0;
    for (const f of s.fields) {
      const type = f.type === TType.True || f.type === TType.False ? (f.value ? TType.True : TType.False) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.varint(((f.id << 1) ^ (f.id >> 31)) >>> 0);
      }
      last = f.id;
      if (type !== TType.True && type !== TType.False) this.value(type, f.value);
    }
    this.byte(0);
  }

  private value(type: TType, v: ThriftValue): void {
    switch (type) {
      case TType.True:
      case TType.False:
        this.byte(v ? 1 : 2);
        return;
      case TType.Byte:
        this.byte((v as number) & 0xff);
        return;
      case TType.I16:
      case TType.I32:
        this.varint((((v as number) << 1) ^ ((v as number) >> 31)) >>> 0);
        return;
      case TType.I64: {
        const x = BigInt.asIntN(64, v as bigint);
        const n = Number(x);
        // Below 2^52 in magnitude (offsets, sizes, counts, timestamps): zigzag in number arithmetic, exactly.
        if (Math.abs(n) < 4503599627370496) this.varint(n < 0 ? -2 * n - 1 : 2 * n);
        else this.varintBig(BigInt.asUintN(64, (x << 1n) ^ (x >> 63n)));
        return;
      }
      case TType.Double: {
        this.reserve(8);
        new DataView(this.buf.buffer, this.len, 8).setFloat64(0, v as number, true);
        this.len += 8;
        return;
      }
      case TType.Binary: {
        const b = v as Uint8Array;
        this.varint(b.length);
        this.reserve(b.length);
        this.buf.set(b, this.len);
        this.len += b.length;
        return;
      }
      case TType.List:
      case TType.Set: {
        const l = v as ThriftList;
        const n = l.items.length;
        if (n < 15) this.byte((n << 4) | l.elemType);
        else {
          this.byte(0xf0 | l.elemType);
          this.varint(n);
        }
        for (const item of l.items) this.value(l.elemType, item);
        return;
      }
      case TType.Map: {
        const m = v as ThriftMap;
        this.varint(m.entries.length);
        if (!m.entries.length) return;
        this.byte((m.keyType << 4) | m.valueType);
        for (const [k, x] of m.entries) {
          this.value(m.keyType, k);
          this.value(m.valueType, x);
        }
        return;
      }
      case TType.Struct:
        this.writeStruct(v as ThriftStruct);
        return;
      default:
        throw new Error(`thrift: unknown type ${type as number}`);
    }
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** An unsigned integer below 2^53 as a varint, in number arithmetic. */
  private varint(v: number): void {
    this.reserve(8);
    const buf = this.buf;
    let len = this.len;
    while (v >= 128) {
      buf[len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[len++] = v;
    this.len = len;
  }

  private varintBig(v: bigint): void {
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      this.byte(b);
    } while (v);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** The field with this id, or undefined. */
export function field(s: ThriftStruct, id: number): ThriftField | undefined {
  return s.fields.find((f) => f.id === id);
}

/** Sets a field's value, adding it in id order if absent. */
export function setField(s: ThriftStruct, id: number, type: TType, value: ThriftValue): void {
  const f = field(s, id);
  if (f) {
    f.type = type;
    f.value = value;
    return;
  }
  const at = s.fields.findIndex((x) => x.id > id);
  s.fields.splice(at < 0 ? s.fields.length : at, 0, { id, type, value });
}

/** Adds `delta` to an i64 field if present. */
export function shiftI64(s: ThriftStruct, id: number, delta: bigint): void {
  const f = field(s, id);
  if (f) f.value = (f.value as bigint) + delta;
}
