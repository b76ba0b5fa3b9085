import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** gzip is recognised by its magic number, whatever the file is called. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export interface SourceProgress {
  /** Bytes of the stored object consumed so far (compressed bytes for gzip). */
  storedBytes: number;
}

/**
 * Yields the object's bytes, inflated when they are gzip (all members of a multi-member file), counting the
 * stored bytes read for progress. Sets `compression` once the first bytes are seen.
 */
export async function* openSource(
  source: AsyncIterable<Uint8Array>,
  state: { compression: 'gzip' | 'none'; storedBytes: number },
): AsyncIterable<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  try {
    const first = await it.next();
    if (first.done) return;
    const counted = async function* () {
      state.storedBytes += first.value.length;
      yield first.value;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        state.storedBytes += r.value.length;
        yield r.value;
      }
    };
    if (!isGzip(first.value)) {
      state.compression = 'none';
      yield* counted();
      return;
    }
    state.compression = 'gzip';
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const inflated = pipeline(Readable.from(counted()), gunzip, () => undefined);
    for await (const chunk of inflated) yield chunk as Buffer;
  } finally {
    // The source read by hand (next()) is not ended by a caller that stops early (a run suspended at its deadline,
    // a refused file): its clean-up (the local store's file handle, an S3 response) runs here, and a failure of it
    // does not hide the error that stopped the run.
    await Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
