import type { RecordBatch } from 'apache-arrow';
import type { ObjectStore, ObjectWriter } from '../ports.ts';
import { pw, toWasmBatches, writerProperties, type ParquetTuning } from './parquetWasm.ts';

export interface OutputFile {
  key: string;
  rows: number;
  bytes: number;
}

/**
 * Streams record batches into Parquet files of about `targetBytes` each, through parquet-wasm's streaming
 * writer. Every batch but a file's last has the same row count and a row group is exactly `rowGroupBatches`
 * batches, so row groups close on batch boundaries, and parquet-wasm emits each finished row group as one
 * chunk: the sizes of finished row groups are known exactly. A file is closed, on a row-group boundary, when
 * its estimated size plus half a row group reaches the target, so files land within half a row group of it,
 * and the decision depends only on the data, never on timing (the same input gives the same files).
 */
export class RollingParquetWriter {
  private current: OpenFile | null = null;
  private readonly done: OutputFile[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly keyFor: (index: number) => string,
    private readonly targetBytes: number,
    private readonly rowGroupBatches: number,
    private readonly tuning: () => ParquetTuning,
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    this.current ??= OpenFile.open(this.store, this.keyFor(this.done.length), writerProperties(this.tuning()), this.rowGroupBatches);
    const estimate = await this.current.push(batch);
    if (estimate.atRowGroupEnd && estimate.bytes + estimate.perRowGroup / 2 >= this.targetBytes) await this.roll();
  }

  /** Closes the open file; returns every file written, in order. None is visible before `complete()` of its writer. */
  async close(): Promise<OutputFile[]> {
    await this.roll();
    return this.done;
  }

  async abort(): Promise<void> {
    await this.current?.abort();
    this.current = null;
    await Promise.all(this.done.map((f) => this.store.delete(f.key)));
  }

  private async roll(): Promise<void> {
    if (!this.current) return;
    const f = this.current;
    this.current = null;
    this.done.push(await f.close());
  }
}

/** One Parquet file being written: a pull-driven batch feed into parquet-wasm and a byte pump out of it. */
class OpenFile {
  private controller!: ReadableStreamDefaultController<pw.RecordBatch>;
  private wanted = deferred();
  private fed: ReturnType<typeof deferred> | null = null;
  private flushed = 0;
  private readonly chunkSizes: number[] = [];
  private chunkWaiters: (() => void)[] = [];
  private batches = 0;
  private rows = 0;
  private pump!: Promise<void>;
  private failure: Promise<never>;
  private fail!: (e: unknown) => void;

  private constructor(private readonly key: string, private readonly out: ObjectWriter, private readonly rowGroupBatches: number) {
    this.failure = new Promise<never>((_, reject) => { this.fail = reject; });
    this.failure.catch(() => undefined);
  }

  static open(store: ObjectStore, key: string, props: pw.WriterProperties, rowGroupBatches: number): OpenFile {
    const f = new OpenFile(key, store.write(key), rowGroupBatches);
    const input = new ReadableStream<pw.RecordBatch>(
      {
        start: (c) => { f.controller = c; },
        pull: () => {
          f.wanted.resolve();
          f.fed = deferred();
          return f.fed.promise;
        },
      },
      { highWaterMark: 0 },
    );
    // transformParquetStream reads the first batch (for the schema) before it resolves: do not await it here.
    const output = pw.transformParquetStream(input, props) as Promise<ReadableStream<Uint8Array>>;
    f.pump = (async () => {
      for await (const chunk of (await output) as unknown as AsyncIterable<Uint8Array>) {
        f.flushed += chunk.length;
        f.chunkSizes.push(chunk.length);
        for (const w of f.chunkWaiters.splice(0)) w();
        await f.out.write(chunk);
      }
    })();
    f.pump.catch((e) => f.fail(e));
    return f;
  }

  /**
   * Feeds one batch; returns the file's estimated size once this batch's row group is complete: the exact
   * size of the finished row groups plus their average for the one in progress (0 while none has finished).
   */
  async push(batch: RecordBatch): Promise<{ bytes: number; perRowGroup: number; atRowGroupEnd: boolean }> {
    // parquet-wasm asks for batch k only after writing batch k-1, so a row group ended by it is on its way.
    await Promise.race([this.wanted.promise, this.failure]);
    this.wanted = deferred();
    for (const b of toWasmBatches(batch)) this.controller.enqueue(b);
    this.batches++;
    this.rows += batch.numRows;
    this.fed?.resolve();
    const g = this.rowGroupBatches;
    const finished = Math.floor((this.batches - 1) / g);
    const atRowGroupEnd = this.batches % g === 0;
    if (finished === 0) return { bytes: 0, perRowGroup: 0, atRowGroupEnd };
    while (this.chunkSizes.length < finished) {
      await Promise.race([new Promise<void>((r) => this.chunkWaiters.push(r)), this.failure]);
    }
    let bytes = 0;
    for (let i = 0; i < finished; i++) bytes += this.chunkSizes[i];
    const perRowGroup = bytes / finished;
    const inProgress = (this.batches - finished * g) / g;
    return { bytes: bytes + perRowGroup * inProgress, perRowGroup, atRowGroupEnd };
  }

  async close(): Promise<{ key: string; rows: number; bytes: number }> {
    await Promise.race([this.wanted.promise, this.failure]);
    this.controller.close();
    this.fed?.resolve();
    await this.pump;
    const { bytes } = await this.out.complete();
    return { key: this.key, rows: this.rows, bytes };
  }

  async abort(): Promise<void> {
    try { this.controller.error(new Error('aborted')); } catch { /* already closed */ }
    this.fed?.resolve();
    await this.pump.catch(() => undefined);
    await this.out.abort();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}
