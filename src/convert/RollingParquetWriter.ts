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
 * writer. A file is closed once its flushed bytes plus the batch still in flight reach the target, so files
 * land within half a row group of it; only the last file of a batch is smaller.
 */
export class RollingParquetWriter {
  private current: OpenFile | null = null;
  private readonly done: OutputFile[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly keyFor: (index: number) => string,
    private readonly targetBytes: number,
    private readonly tuning: () => ParquetTuning,
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    this.current ??= OpenFile.open(this.store, this.keyFor(this.done.length), writerProperties(this.tuning()));
    await this.current.push(batch);
    if (this.current.estimatedBytes() >= this.targetBytes) await this.roll();
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
  private batches = 0;
  private rows = 0;
  private pump!: Promise<void>;
  private failure: Promise<never>;
  private fail!: (e: unknown) => void;

  private constructor(private readonly key: string, private readonly out: ObjectWriter) {
    this.failure = new Promise<never>((_, reject) => { this.fail = reject; });
    this.failure.catch(() => undefined);
  }

  static open(store: ObjectStore, key: string, props: pw.WriterProperties): OpenFile {
    const f = new OpenFile(key, store.write(key));
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
        await f.out.write(chunk);
      }
    })();
    f.pump.catch((e) => f.fail(e));
    return f;
  }

  async push(batch: RecordBatch): Promise<void> {
    await Promise.race([this.wanted.promise, this.failure]);
    this.wanted = deferred();
    for (const b of toWasmBatches(batch)) this.controller.enqueue(b);
    this.batches++;
    this.rows += batch.numRows;
    this.fed?.resolve();
  }

  /** Flushed bytes plus one batch in flight, at the average flushed size per batch so far. */
  estimatedBytes(): number {
    if (this.batches < 2) return this.flushed;
    return this.flushed + this.flushed / (this.batches - 1);
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
