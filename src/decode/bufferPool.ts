/**
 * Buffers for decoded batches, used again once the Parquet writer is done with them. Each batch's columns are
 * copied out of the CSV core's linear memory; into fresh ArrayBuffers that cost their allocation, first-touch page
 * faults and garbage collection (measured: 0.25-0.4 s of a 3.3 s conversion of 256 MB, one thread). Buffers come
 * back through `give` (Landfall's writer releases a batch once no pending page refers to it) and are kept by
 * size class (eight per power of two), up to `maxBytes` in all.
 */
export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private bytes = 0;

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  /** A buffer of at least `n` bytes (a used one when one fits). */
  take(n: number): ArrayBuffer {
    const size = sizeClass(n);
    const b = this.free.get(size)?.pop();
    if (b) {
      this.bytes -= b.byteLength;
      return b;
    }
    return new ArrayBuffer(size);
  }

  /** Buffers nothing refers to any more. */
  give(buffers: ArrayBuffer[]): void {
    for (const b of buffers) {
      const size = b.byteLength;
      if (size !== sizeClass(size) || this.bytes + size > this.maxBytes) continue;
      const list = this.free.get(size);
      if (list) list.push(b);
      else this.free.set(size, [b]);
      this.bytes += size;
    }
  }
}

/** The next size class, at least 64 bytes: eight classes per power of two (a batch's buffers waste <= 1/8). */
function sizeClass(n: number): number {
  let s = 64;
  while (s * 2 < n) s *= 2;
  const step = s / 8;
  return n <= s ? s : Math.ceil(n / step) * step;
}
