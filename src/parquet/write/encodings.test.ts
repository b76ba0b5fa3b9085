import { describe, expect, it } from 'vitest';
import { ByteSink } from './byteSink.ts';
import { copyBits, countBits, validRuns, writeBitHybrid, writeHybrid } from './encodings.ts';
import { loadZstd } from './zstd.ts';

/** The writer's DELTA_BINARY_PACKED (packed in WebAssembly, beside libzstd). */
const writeDeltaBinaryPacked = (out: ByteSink, values: Float64Array, count: number) =>
  loadZstd().deltaPack(out, values, count);

/**
 * DELTA_BINARY_PACKED read as the Parquet spec describes it (Encodings.md), written here from the spec alone: a
 * header of varints (block size, miniblocks per block, value count, zigzag first value), then per block a zigzag
 * minimum delta, one bit width per miniblock and the miniblocks' deltas above the minimum, least significant bit
 * first. Returns the values and every padding value (packed after the last one, in the last miniblock).
 */
function readDeltaBinaryPacked(bytes: Uint8Array): { values: bigint[]; padding: bigint[] } {
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[at++];
      v |= BigInt(b & 127) << shift;
      if (b < 128) return v;
    }
  };
  const zigzag = () => {
    const v = varint();
    return v & 1n ? -(v >> 1n) - 1n : v >> 1n;
  };
  const blockSize = Number(varint());
  const miniblocks = Number(varint());
  const count = Number(varint());
  const perMini = blockSize / miniblocks;
  const values = [zigzag()];
  const padding: bigint[] = [];
  while (values.length < count) {
    const min = zigzag();
    const widths = Array.from(bytes.subarray(at, at + miniblocks));
    at += miniblocks;
    for (const w of widths) {
      if (values.length >= count) break; // unneeded miniblocks have a width byte but no body
      let bit = 0;
      for (let k = 0; k < perMini; k++) {
        let d = 0n;
        for (let i = 0; i < w; i++, bit++) d |= BigInt((bytes[at + (bit >> 3)] >> (bit & 7)) & 1) << BigInt(i);
        if (values.length < count) values.push(values[values.length - 1] + min + d);
        else padding.push(d);
      }
      at += (perMini * w) / 8;
    }
  }
  return { values, padding };
}

describe('DELTA_BINARY_PACKED', () => {
  it('round-trips through a reader written from the spec, every delta width up to 53 bits, padding zero', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const bits of [0, 1, 5, 8, 13, 24, 25, 27, 29, 30, 31, 32, 33, 40, 47, 48, 49, 52]) {
      // Counts that end inside a miniblock, on its end, and inside a later block's second miniblock.
      for (const count of [1, 2, 31, 129, 200, 1000]) {
        // Rising by up to 2^bits from -2^51 (a timestamp-like series), or for wide deltas independent values in
        // [-2^(bits-1), 2^(bits-1)): every value stays below 2^52 in magnitude, as the writer requires.
        const values = new Float64Array(count);
        let v = -(2 ** 51);
        for (let i = 0; i < count; i++) {
          values[i] = bits < 40 ? v : Math.floor(random() * 2 ** bits) - 2 ** (bits - 1);
          v += Math.floor(random() * 2 ** bits);
        }
        const out = new ByteSink(1 << 10);
        writeDeltaBinaryPacked(out, values, count);
        const read = readDeltaBinaryPacked(out.view());
        expect(read.values, `${bits} bits, ${count} values`).toEqual(Array.from(values, (x) => BigInt(x)));
        expect(
          read.padding.every((p) => p === 0n),
          `${bits} bits, ${count} values: padding`,
        ).toBe(true);
      }
    }
  });
});

describe('DELTA_BINARY_PACKED of evenly spaced values (line numbers)', () => {
  it('round-trips every step and count, one value off the step included', () => {
    for (const step of [0, 1, -3, 1000, 2 ** 40]) {
      for (const count of [2, 3, 128, 129, 130, 1000, 20_000]) {
        for (const off of [-1, count - 1, Math.floor(count / 2)]) {
          const values = Float64Array.from({ length: count }, (_, i) => 7 + i * step);
          if (off >= 1) values[off] += 1; // breaks the spacing (off -1: none broken)
          const out = new ByteSink(1 << 10);
          writeDeltaBinaryPacked(out, values, count);
          const read = readDeltaBinaryPacked(out.view());
          expect(read.values, `step ${step}, ${count} values, off ${off}`).toEqual(
            Array.from(values, (x) => BigInt(x)),
          );
          expect(read.padding.every((p) => p === 0n)).toBe(true);
        }
      }
    }
  });
});

describe('definition levels from bits', () => {
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  /** Levels with runs of every length: a null share from none to all, clustered or scattered. */
  function levels(n: number): Int32Array {
    const out = new Int32Array(n);
    const p = random();
    const stay = random() < 0.5 ? 0 : random();
    let v = 1;
    for (let i = 0; i < n; i++) {
      if (random() >= stay) v = random() < p ? 1 : 0;
      out[i] = v;
    }
    return out;
  }

  it('writes the bytes writeHybrid writes for the same levels one value each', () => {
    for (let t = 0; t < 3000; t++) {
      const n = 1 + Math.floor(random() * (t < 2500 ? 80 : 3000));
      const lv = levels(n);
      // A bitmap with stray set bits past the end, as a reused scratch has: they must not leak into the output.
      const bits = new Uint8Array((n >> 3) + 1).fill(255);
      for (let i = 0; i < n; i++) if (!lv[i]) bits[i >> 3] &= ~(1 << (i & 7));
      const want = new ByteSink(16);
      writeHybrid(want, lv, 0, n, 1);
      const got = new ByteSink(16);
      writeBitHybrid(got, bits, n);
      expect(Array.from(got.view()), `${n} levels: ${lv.join('')}`).toEqual(Array.from(want.view()));
    }
  });

  it('copies bit ranges at every alignment and counts them', () => {
    for (let t = 0; t < 2000; t++) {
      const srcBits = 1 + Math.floor(random() * 200);
      const src = new Uint8Array((srcBits >> 3) + 1);
      for (let i = 0; i < src.length; i++) src[i] = Math.floor(random() * 256);
      const s = Math.floor(random() * srcBits);
      const n = Math.floor(random() * (srcBits - s));
      const at = Math.floor(random() * 40);
      const fromNull = random() < 0.2;
      const dst = new Uint8Array(((at + n) >> 3) + 2);
      for (let i = 0; i < dst.length; i++) dst[i] = Math.floor(random() * 256);
      const before = dst.slice();
      copyBits(dst, at, fromNull ? null : src, s, n);
      const bit = (a: Uint8Array, i: number) => (a[i >> 3] >> (i & 7)) & 1;
      for (let i = 0; i < dst.length * 8; i++) {
        const want = i >= at && i < at + n ? (fromNull ? 1 : bit(src, s + i - at)) : bit(before, i);
        expect(bit(dst, i), `copy ${n} bits from ${s} to ${at}: bit ${i}`).toBe(want);
      }
      let ones = 0;
      for (let i = s; i < s + n; i++) ones += bit(src, i);
      expect(countBits(src, s, s + n)).toBe(ones);
    }
  });

  it('finds the runs of set bits of any range: sparse, dense, whole bytes of each, ends in a byte or past it', () => {
    const out = new Int32Array(512);
    for (let t = 0; t < 3000; t++) {
      const nbits = 1 + Math.floor(random() * 300);
      const bits = new Uint8Array((nbits >> 3) + 2);
      // Bytes all clear, all set, or random with a density of its own (1 in 50 to all).
      const density = random();
      for (let i = 0; i < bits.length; i++) {
        const kind = random();
        bits[i] = kind < 0.25 ? 0 : kind < 0.5 ? 255 : 0;
        if (kind >= 0.5) for (let b = 0; b < 8; b++) if (random() < density) bits[i] |= 1 << b;
      }
      const s = Math.floor(random() * nbits);
      const e = s + Math.floor(random() * (nbits - s + 1));
      const want: number[] = [];
      for (let r = s; r < e; r++) {
        if (!((bits[r >> 3] >> (r & 7)) & 1)) continue;
        if (want.length && want[want.length - 1] === r) want[want.length - 1] = r + 1;
        else want.push(r, r + 1);
      }
      const n = validRuns(bits, s, e, out);
      expect(Array.from(out.subarray(0, 2 * n)), `bits [${s}, ${e})`).toEqual(want);
    }
  });
});
