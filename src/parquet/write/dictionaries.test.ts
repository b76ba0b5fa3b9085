import { describe, expect, it } from 'vitest';
import { BytesDictionary, IntDictionary } from './dictionaries.ts';

let seed = 5;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

describe('string dictionary', () => {
  it('gives equal strings one index and different strings different ones, whatever their length and look-alikes', () => {
    // Strings made to defeat the recent-strings cache's key (length, first and last four bytes): equal lengths and
    // ends that differ only in the middle, prefixes of each other, empty and one-byte strings, bytes above 127.
    const alphabet = ['a', 'b', 'é', '0', '/', '\u0000'];
    const pick = () => alphabet[Math.floor(random() * alphabet.length)];
    const pool: string[] = [''];
    for (let i = 0; i < 400; i++) {
      const len = Math.floor(random() * 40);
      const middle = Array.from({ length: len }, pick).join('');
      pool.push(random() < 0.5 ? `http${middle}.com` : middle);
    }
    const d = new BytesDictionary();
    const byString = new Map<string, number>();
    const encoder = new TextEncoder();
    // One buffer holding every value, as a batch's string column does.
    const values = Array.from({ length: 20_000 }, () => pool[Math.floor(random() * random() * pool.length)]);
    const parts = values.map((v) => encoder.encode(v));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    const offsets = [0];
    for (const p of parts) {
      bytes.set(p, offsets[offsets.length - 1]);
      offsets.push(offsets[offsets.length - 1] + p.length);
    }
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => {
      const x = d.index(bytes, offsets[i], offsets[i + 1], view);
      if (!byString.has(v)) byString.set(v, byString.size);
      expect(x, `value ${i}: ${JSON.stringify(v)}`).toBe(byString.get(v));
    });
    expect(d.count).toBe(byString.size);
    // The entries hold the strings, in the order first met.
    const decoder = new TextDecoder();
    for (const [v, x] of byString) expect(decoder.decode(d.data.subarray(d.offsets[x], d.offsets[x + 1]))).toBe(v);
  });
});

describe('integer dictionary', () => {
  it('indexes small and large values, negative ones included, in the order first met', () => {
    const d = new IntDictionary();
    const seen = new Map<number, number>();
    for (let i = 0; i < 50_000; i++) {
      const r = random();
      const v =
        r < 0.6 ? Math.floor(random() * 9000) : r < 0.8 ? -Math.floor(random() * 100) : Math.floor(random() * 2 ** 31);
      if (!seen.has(v)) seen.set(v, seen.size);
      expect(d.index(v)).toBe(seen.get(v));
    }
    expect(d.count).toBe(seen.size);
  });
});
