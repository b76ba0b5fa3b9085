import { describe, expect, it } from 'vitest';
import { ByteSink } from './byteSink.ts';
import { writeDeltaBinaryPacked } from './encodings.ts';

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
    for (const bits of [0, 1, 5, 8, 13, 24, 25, 31, 32, 33, 40, 47, 48, 49, 52]) {
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
