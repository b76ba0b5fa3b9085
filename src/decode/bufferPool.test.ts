import { describe, expect, it } from 'vitest';
import { BufferPool } from './bufferPool.ts';

describe('buffer pool', () => {
  it('gives buffers at most an eighth larger than asked (64 bytes at least), and takes back what it gave', () => {
    const pool = new BufferPool();
    for (const n of [1, 63, 64, 65, 100, 129, 1000, 12_480, 16_384, 16_385, 24_960, 1 << 20, (1 << 20) + 1]) {
      const b = pool.take(n);
      expect(b.byteLength, `asked ${n}`).toBeGreaterThanOrEqual(n);
      expect(b.byteLength, `asked ${n}`).toBeLessThanOrEqual(Math.max(64, n + Math.ceil(n / 8)));
      pool.give([b]);
      // The same size again: the buffer given back, not a new one.
      expect(pool.take(n), `asked ${n} again`).toBe(b);
    }
  });

  it('keeps no more than its limit, and no buffer of a size it would not give', () => {
    const pool = new BufferPool(100_000);
    const kept = Array.from({ length: 10 }, () => pool.take(20_000));
    pool.give(kept);
    const again = Array.from({ length: 10 }, () => pool.take(20_000));
    // 20,000 bytes come as 20,480: four fit in 100,000 (the rest were dropped), so six are new.
    expect(again.filter((b) => kept.includes(b))).toHaveLength(4);
    const odd = new ArrayBuffer(1000);
    pool.give([odd]);
    expect(pool.take(1000)).not.toBe(odd);
  });
});
