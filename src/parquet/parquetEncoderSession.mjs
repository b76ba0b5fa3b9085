// The Parquet encoder session: parquet-wasm's streaming writer fed Arrow IPC batches, handing back encoded bytes.
// Runs on the encoder thread (parquetEncoder.worker.mjs) or, with one thread, in the converting thread itself.
// Plain JavaScript, so that Node runs it as it is (tests, the CLI) and esbuild bundles it into the layer.

/** What pregrowMemory reserves for each encoder (256 MB was no faster in the pipeline, and cost 25 MB of RSS). */
export const PREGROW_BYTES = 64 * 1024 * 1024;

/**
 * Grows parquet-wasm's memory once, by `bytes`, before its first file. Its allocator otherwise grows the
 * WebAssembly memory a few pages at a time while the first row groups are encoded, and V8 (Node 20) spends up to a
 * third of a millisecond on each grow (one writeParquet of a 64 MB row group of the 300-column file: 1.97 s cold,
 * 0.63 s warm; 0.81 s cold after growing by 256 MB). In the pipeline the gain is smaller: the 300-column bench file
 * at 2 threads went from 30-34 to 35-36 MB/s, the others did not move, and peak RSS stayed the same: one allocation
 * of `bytes`, freed at once, leaves the pages in the allocator's free space, and untouched pages are not resident.
 */
export function pregrowMemory(wasmExports, bytes = PREGROW_BYTES) {
  const ptr = wasmExports.__wbindgen_malloc(bytes, 8);
  wasmExports.__wbindgen_free(ptr, bytes, 8);
}

/** Writer properties are consumed by each write, so every file gets a fresh set. */
function writerProperties(pw, t) {
  let b = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setDictionaryEnabled(true)
    .setStatisticsEnabled(pw.EnabledStatistics.Page)
    .setMaxRowGroupSize(Math.max(1, t.rowGroupRows));
  // Numbers that rise by one per row (source lines): delta encoding stores them in almost nothing.
  for (const c of t.deltaColumns ?? [])
    b = b.setColumnDictionaryEnabled(c, false).setColumnEncoding(c, pw.Encoding.DELTA_BINARY_PACKED);
  b = b.setCreatedBy('landfall').setKeyValueMetadata(new Map(Object.entries(t.metadata)));
  // One value per file (the lineage strings): min/max statistics over every row cost a quarter of the encoding
  // time and tell a reader nothing the file's metadata does not.
  for (const c of t.noStatisticsColumns ?? []) b = b.setColumnStatisticsEnabled(c, pw.EnabledStatistics.None);
  for (const c of t.plainColumns ?? []) b = b.setColumnDictionaryEnabled(c, false);
  return b.build();
}

/**
 * One encoder for a sequence of files: handles 'open' (tuning), 'batch' (Arrow IPC), 'close'; emits 'pulled'
 * (ready for a batch), 'chunk' (one finished row group, or the footer), 'closed' and 'error' through `post`.
 */
export function createEncoderSession(pw, post) {
  let session = null;

  function open(tuning) {
    const queue = [];
    let waiting = null;
    let closed = false;
    const input = new ReadableStream(
      {
        pull: async (controller) => {
          post({ t: 'pulled' });
          while (!queue.length && !closed)
            await new Promise((r) => {
              waiting = r;
            });
          if (queue.length) {
            const ipc = queue.shift();
            const table = pw.Table.fromIPCStream(ipc);
            try {
              for (const b of table.recordBatches()) controller.enqueue(b);
            } finally {
              table.free(); // docs/libraries.md: recordBatches() copies; without free() the table leaks
            }
          } else {
            controller.close();
          }
        },
      },
      { highWaterMark: 0 },
    );
    const done = (async () => {
      const output = await pw.transformParquetStream(input, writerProperties(pw, tuning));
      for await (const chunk of output) {
        // Transfer, never share: copy a view that does not own its whole buffer.
        const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
        post({ t: 'chunk', bytes: own }, [own.buffer]);
      }
    })();
    done.catch((err) => post({ t: 'error', message: String(err?.message ?? err) }));
    session = {
      push(ipc) {
        queue.push(ipc);
        waiting?.();
      },
      close() {
        closed = true;
        waiting?.();
        return done;
      },
    };
  }

  return async (m) => {
    try {
      if (m.t === 'open') open(m.tuning);
      else if (m.t === 'batch') session.push(m.ipc);
      else if (m.t === 'close') {
        await session.close();
        session = null;
        post({ t: 'closed' });
      }
    } catch (err) {
      post({ t: 'error', message: String(err?.message ?? err) });
    }
  };
}
