import { readdir, readFile, readlink } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderStore } from '#src/adapters/local/FolderStore.ts';
import { openSource } from '#src/ingest/sourceStream.ts';
import { SHARED_DATA, tempDir } from './helpers.ts';

async function collect(
  chunks: AsyncIterable<Uint8Array>,
  copy: boolean,
): Promise<{ bytes: Buffer; buffers: ArrayBufferLike[] }> {
  const parts: Buffer[] = [];
  const buffers: ArrayBufferLike[] = [];
  for await (const c of chunks) {
    parts.push(copy ? Buffer.from(c) : (c as Buffer));
    buffers.push(c.buffer);
  }
  return { bytes: Buffer.concat(parts), buffers };
}

describe('FolderStore reads', () => {
  it('gives the same bytes with reused buffers as with a stream, whole and in ranges, three buffers in turn', async () => {
    const store = new FolderStore(await tempDir(), 'landing');
    // Two copies of a real table: 4.8 MB, five reads of 1 MB.
    const table = await readFile(join(SHARED_DATA, 'olist/olist_products_dataset.csv'));
    const body = Buffer.concat([table, table]);
    await store.put('t/products.csv', body);
    const streamed = await collect(store.read('t/products.csv'), false);
    const reused = await collect(store.read('t/products.csv', undefined, { reuse: true }), true);
    expect(streamed.bytes.equals(body)).toBe(true);
    expect(reused.bytes.equals(body)).toBe(true);
    expect(reused.buffers.length).toBe(5);
    expect(reused.buffers[3]).toBe(reused.buffers[0]);
    expect(reused.buffers[4]).toBe(reused.buffers[1]);
    expect(new Set(reused.buffers.slice(0, 3)).size).toBe(3);
    for (const range of [
      { start: 0, end: 1 },
      { start: 1_000_000, end: 3_200_001 },
      { start: body.length - 10, end: body.length },
      { start: 5, end: 5 },
    ]) {
      const r = await collect(store.read('t/products.csv', range, { reuse: true }), true);
      expect(r.bytes.equals(body.subarray(range.start, range.end)), JSON.stringify(range)).toBe(true);
    }
  });

  it('reads ahead into another buffer: a chunk stays whole while the caller works on it, and stopping early is clean', async () => {
    const store = new FolderStore(await tempDir(), 'landing');
    const table = await readFile(join(SHARED_DATA, 'olist/olist_products_dataset.csv'));
    const body = Buffer.concat([table, table]);
    await store.put('t/products.csv', body);
    let at = 0;
    for await (const c of store.read('t/products.csv', undefined, { reuse: true })) {
      // A slow caller: the read ahead has finished by now, and must not have touched this chunk.
      await new Promise((r) => setTimeout(r, 20));
      expect(Buffer.from(c).equals(body.subarray(at, at + c.length)), `chunk at ${at}`).toBe(true);
      at += c.length;
    }
    expect(at).toBe(body.length);
    // Stopping after two chunks (a read ahead in flight) ends the read without an error, and the file reads again.
    let n = 0;
    for await (const _ of store.read('t/products.csv', undefined, { reuse: true })) if (++n === 2) break;
    const again = await collect(store.read('t/products.csv', { start: 0, end: 10 }, { reuse: true }), true);
    expect(again.bytes.equals(body.subarray(0, 10))).toBe(true);
  });

  it('closes the file when a conversion stops reading early through openSource, plain or gzip', async () => {
    const store = new FolderStore(await tempDir(), 'landing');
    const table = await readFile(join(SHARED_DATA, 'olist/olist_products_dataset.csv'));
    const body = Buffer.concat([table, table]);
    await store.put('t/products.csv', body);
    await store.put('t/products.csv.gz', gzipSync(body));
    // Open descriptors of this process on the file (Linux: /proc/self/fd).
    const openOn = async (key: string) => {
      let n = 0;
      for (const fd of await readdir('/proc/self/fd'))
        if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) === store.path(key)) n++;
      return n;
    };
    for (const key of ['t/products.csv', 't/products.csv.gz']) {
      const state = { compression: 'none' as 'gzip' | 'none', storedBytes: 0 };
      let n = 0;
      for await (const _ of openSource(store.read(key, undefined, { reuse: true }), state)) {
        expect(await openOn(key)).toBe(1);
        if (++n === 2) break;
      }
      // The generator's clean-up ran (it was left to the garbage collector before: openSource reads by hand).
      await new Promise((r) => setTimeout(r, 50));
      expect(await openOn(key), key).toBe(0);
    }
  });

  it('writes small and large chunks in order, whatever the caller does with its buffers after each write', async () => {
    const store = new FolderStore(await tempDir(), 'lake');
    const table = await readFile(join(SHARED_DATA, 'olist/olist_products_dataset.csv'));
    const w = store.write('t/out.bin');
    const expected: Buffer[] = [];
    const reused = Buffer.alloc(1000);
    // Pieces of 1 byte to 700 KB, some straight from one reused buffer, crossing the 1 MB staging buffer many times.
    for (let at = 0, k = 0; at < table.length; k++) {
      const n = Math.min(table.length - at, [1, 999, 70_000, 300_000, 700_000][k % 5]);
      const piece = table.subarray(at, at + n);
      if (n <= reused.length) {
        piece.copy(reused);
        await w.write(reused.subarray(0, n));
        reused.fill(0);
      } else await w.write(piece);
      expected.push(piece);
      at += n;
    }
    const { bytes } = await w.complete();
    const written = await readFile(store.path('t/out.bin'));
    expect(bytes).toBe(table.length);
    expect(written.equals(Buffer.concat(expected))).toBe(true);
  });
});
