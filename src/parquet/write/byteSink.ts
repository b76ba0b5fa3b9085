/**
 * A growable byte buffer with the writes Parquet pages need: unsigned and zigzag varints (ULEB128), little-endian
 * words, raw bytes, and LSB-first bit packing (the RLE/bit-packing hybrid's layout; DELTA_BINARY_PACKED is packed in
 * WebAssembly, Zstd.deltaPack).
 * Numbers are JavaScript numbers: exact for integers below 2^53, which every caller checks or guarantees.
 */
export class ByteSink {
  buf: Uint8Array;
  len = 0;
  private acc = 0;
  private bits = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  reset(): void {
    this.len = 0;
    this.acc = 0;
    this.bits = 0;
  }

  /** The bytes written, as a view (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  u32le(v: number): void {
    this.ensure(4);
    const b = this.buf;
    let i = this.len;
    b[i++] = v & 255;
    b[i++] = (v >>> 8) & 255;
    b[i++] = (v >>> 16) & 255;
    b[i++] = (v >>> 24) & 255;
    this.len = i;
  }

  /** Overwrites 4 bytes at `at` (a length prefix written before its content was known). */
  patchU32le(at: number, v: number): void {
    const b = this.buf;
    b[at] = v & 255;
    b[at + 1] = (v >>> 8) & 255;
    b[at + 2] = (v >>> 16) & 255;
    b[at + 3] = (v >>> 24) & 255;
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.ensure(n);
    this.buf.set(src.subarray(start, end), this.len);
    this.len += n;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 128) {
      this.buf[this.len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  /** Zigzag LEB128 of an integer of magnitude below 2^52. */
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Appends the low `w` bits (w <= 24) of the unsigned integer `v` to the bit stream, least significant first. */
  pack(v: number, w: number): void {
    // Fewer than 8 bits pending and at most 24 more: the accumulator stays within 31 bits.
    let acc = this.acc | (v << this.bits);
    let bits = this.bits + w;
    if (bits >= 8) {
      this.ensure(4);
      const b = this.buf;
      while (bits >= 8) {
        b[this.len++] = acc & 255;
        acc >>>= 8;
        bits -= 8;
      }
    }
    this.acc = acc;
    this.bits = bits;
  }

  /** Packs `count` values of `src` from `start`, `w` bits each (w <= 24), least significant first. */
  packInts(src: Int32Array, start: number, count: number, w: number): void {
    if (this.bits) throw new Error('packInts: bit stream not aligned');
    if (w === 0) return;
    this.ensure(((count * w + 7) >> 3) + 4);
    const b = this.buf;
    let len = this.len;
    let acc = 0;
    let bits = 0;
    const end = start + count;
    // At most 7 + 24 bits pending after a value: two bytes, then one, leave fewer than 8 (no inner loop: 9-17 bit
    // indices pack ~40% faster).
    for (let i = start; i < end; i++) {
      acc |= src[i] << bits;
      bits += w;
      if (bits >= 16) {
        b[len] = acc & 255;
        b[len + 1] = (acc >>> 8) & 255;
        len += 2;
        acc >>>= 16;
        bits -= 16;
      }
      if (bits >= 8) {
        b[len++] = acc & 255;
        acc >>>= 8;
        bits -= 8;
      }
    }
    // The last partial byte, without a branch: a compare the loop never reached before V8 optimized it (on-stack,
    // during the first long call) made that code deoptimize on every later call (hundreds of times a conversion).
    b[len] = acc & 255;
    this.len = len + ((bits + 7) >> 3);
  }

  /** Ends the bit stream: a partial byte is padded with zero bits. */
  flushBits(): void {
    if (this.bits > 0) this.u8(this.acc);
    this.acc = 0;
    this.bits = 0;
  }
}

/** Bits needed for the unsigned integer `max` (0 for 0). */
export function bitWidth(max: number): number {
  let w = 0;
  while (max >= 1) {
    max = Math.floor(max / 2);
    w++;
  }
  return w;
}
