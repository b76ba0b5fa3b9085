import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ObjectStore, ObjectWriter } from '../ports.ts';

export interface ParquetTuning {
  /** Rows per row group: a whole number of decoder batches, so that row groups close on batch boundaries. */
  rowGroupRows: number;
  metadata: Record<string, string>;
  /** Columns written without a dictionary (nearly unique values: see writerTuning.ts). */
  plainColumns?: string[];
}

export interface OutputFile {
  key: string;
  rows: number;
  bytes: number;
}

/**
 * Streams record batches into Parquet files of about `targetBytes` each, through parquet-wasm's streaming
 * writer on its own thread. Every batch but a file's last has the same row count and a row group is exactly `rowGroupBatches`
 * batches, so row groups close on batch boundaries, and parquet-wasm emits each finished row group as one
 * chunk: the sizes of finished row groups are known exactly. A file is closed, on a row-group boundary, when
 * its estimated size plus half a row group reaches the target, so files land within half a row group of it,
 * and the decision depends only on the data, never on timing (the same input gives the same files).
 */
export class RollingParquetWriter {
  private current: OpenFile | null = null;
  private readonly done: OutputFile[] = [];
  private encoder: ParquetEncoder | null = null;

  constructor(
    private readonly store: ObjectStore,
    private readonly keyFor: (index: number) => string,
    private readonly targetBytes: number,
    private readonly rowGroupBatches: number,
    private readonly tuning: () => ParquetTuning,
    private readonly encoderOptions: EncoderOptions = {},
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    this.encoder ??= (this.encoderOptions.threads ?? 2) >= 2 ? new ParquetEncoderThread(this.encoderOptions) : new InlineParquetEncoder(this.encoderOptions);
    this.current ??= OpenFile.open(this.store, this.keyFor(this.done.length), this.encoder, this.tuning(), this.rowGroupBatches);
    const estimate = await this.current.push(batch);
    if (estimate.atRowGroupEnd && estimate.bytes + estimate.perRowGroup / 2 >= this.targetBytes) await this.roll();
  }

  /** Closes the open file; returns every file written, in order. None is visible before `complete()` of its writer. */
  async close(): Promise<OutputFile[]> {
    try {
      await this.roll();
    } finally {
      await this.encoder?.stop();
      this.encoder = null;
    }
    return this.done;
  }

  async abort(): Promise<void> {
    await this.current?.abort();
    this.current = null;
    await this.encoder?.stop();
    this.encoder = null;
    await Promise.all(this.done.map((f) => this.store.delete(f.key)));
  }

  private async roll(): Promise<void> {
    if (!this.current) return;
    const f = this.current;
    this.current = null;
    this.done.push(await f.close());
  }
}

export interface EncoderOptions {
  /** The encoder thread's script (Lambda: in the layer); default: beside this source. */
  workerPath?: string;
  /** parquet-wasm's .wasm; default: from node_modules. */
  wasmPath?: string;
  /** 1: encode on the converting thread; 2 or more: on an encoder thread while this one decodes. */
  threads?: number;
}

/** Where encoder messages go: an encoder thread, or an encoder session in this thread. */
interface ParquetEncoder {
  onMessage(fn: (m: EncoderMessage) => void): void;
  post(m: object, transfer?: ArrayBuffer[]): void;
  readonly error: Error | null;
  stop(): Promise<void>;
}

let parquetWasm: Promise<typeof import('parquet-wasm/esm')> | null = null;

/** parquet-wasm in this thread, read and compiled once per process (not once per file). */
function loadParquetWasm(wasmPath?: string): Promise<typeof import('parquet-wasm/esm')> {
  parquetWasm ??= import('parquet-wasm/esm').then((pw) => {
    pw.initSync({ module: readFileSync(wasmPath ?? createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')) });
    return pw;
  });
  return parquetWasm;
}

/** One thread for everything: the encoder session runs here, between decoding steps. */
export class InlineParquetEncoder implements ParquetEncoder {
  private listener: ((m: EncoderMessage) => void) | null = null;
  private failure: Error | null = null;
  private readonly handler: Promise<(m: object) => Promise<void>>;
  private chain: Promise<void> = Promise.resolve();

  constructor(options: { wasmPath?: string } = {}) {
    this.handler = (async () => {
      const pw = await loadParquetWasm(options.wasmPath);
      const { createEncoderSession } = await import('./parquetEncoderSession.mjs');
      return createEncoderSession(pw, (m: EncoderMessage) => {
        if (m.t === 'error') this.failure = new Error(`Parquet encoder: ${m.message}`);
        this.listener?.(m);
      });
    })();
    this.handler.catch((err: Error) => {
      this.failure = err;
      this.listener?.({ t: 'error', message: err.message });
    });
  }

  onMessage(fn: (m: EncoderMessage) => void): void {
    this.listener = fn;
  }

  post(m: object): void {
    if (this.failure) throw this.failure;
    this.chain = this.chain.then(async () => (await this.handler)(m)).catch(() => undefined);
  }

  get error(): Error | null {
    return this.failure;
  }

  async stop(): Promise<void> {
    await this.chain;
  }
}

/** The encoder thread: parquet-wasm runs there while this thread decodes CSV. */
export class ParquetEncoderThread implements ParquetEncoder {
  private readonly worker: Worker;
  private listener: ((m: EncoderMessage) => void) | null = null;
  private failure: Error | null = null;

  constructor(options: { workerPath?: string; wasmPath?: string } = {}) {
    const url = options.workerPath ? pathToFileURL(options.workerPath) : new URL('./parquetEncoder.worker.mjs', import.meta.url);
    this.worker = new Worker(url, { workerData: { wasmPath: options.wasmPath } });
    this.worker.on('message', (m: EncoderMessage) => {
      if (m.t === 'error') this.failure = new Error(`Parquet encoder: ${m.message}`);
      this.listener?.(m);
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      this.listener?.({ t: 'error', message: err.message });
    });
  }

  onMessage(fn: (m: EncoderMessage) => void): void {
    this.listener = fn;
  }

  post(m: object, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(m, transfer);
  }

  get error(): Error | null {
    return this.failure;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

type EncoderMessage = { t: 'pulled' } | { t: 'chunk'; bytes: Uint8Array } | { t: 'closed' } | { t: 'error'; message: string };

/** One Parquet file being written by the encoder thread, with its bytes pumped into the object store. */
class OpenFile {
  private readonly chunkSizes: number[] = [];
  private pulled = 0;
  private closed = false;
  private wake: (() => void) | null = null;
  private writes: Promise<void> = Promise.resolve();
  private batches = 0;
  private rows = 0;

  private constructor(
    private readonly key: string,
    private readonly out: ObjectWriter,
    private readonly encoder: ParquetEncoder,
    private readonly rowGroupBatches: number,
  ) {
    encoder.onMessage((m) => {
      if (m.t === 'pulled') this.pulled++;
      else if (m.t === 'chunk') {
        this.chunkSizes.push(m.bytes.length);
        this.writes = this.writes.then(() => this.out.write(m.bytes));
      } else if (m.t === 'closed') this.closed = true;
      this.wake?.();
    });
  }

  static open(store: ObjectStore, key: string, encoder: ParquetEncoder, tuning: ParquetTuning, rowGroupBatches: number): OpenFile {
    const f = new OpenFile(key, store.write(key), encoder, rowGroupBatches);
    encoder.post({ t: 'open', tuning });
    return f;
  }

  private async until(cond: () => boolean): Promise<void> {
    while (!cond()) {
      if (this.encoder.error) throw this.encoder.error;
      await new Promise<void>((r) => { this.wake = r; });
    }
    if (this.encoder.error) throw this.encoder.error;
  }

  /**
   * Feeds one batch; returns the file's estimated size once this batch's row group is complete: the exact
   * size of the finished row groups plus their average for the one in progress (0 while none has finished).
   * At most three batches are in flight (one being encoded, one queued at the encoder so that it never waits
   * for this thread, one being sent), so memory stays bounded however fast the decoder is.
   */
  async push(batch: RecordBatch): Promise<{ bytes: number; perRowGroup: number; atRowGroupEnd: boolean }> {
    await this.until(() => this.pulled > this.batches - 2);
    const ipc = tableToIPC(new Table([batch]), 'stream');
    this.encoder.post({ t: 'batch', ipc }, [ipc.buffer as ArrayBuffer]);
    this.batches++;
    this.rows += batch.numRows;
    const g = this.rowGroupBatches;
    const finished = Math.floor((this.batches - 1) / g);
    const atRowGroupEnd = this.batches % g === 0;
    if (finished === 0) return { bytes: 0, perRowGroup: 0, atRowGroupEnd };
    // The encoder asks for batch k only after writing batch k-1, so a row group ended by it is on its way.
    await this.until(() => this.chunkSizes.length >= finished);
    let bytes = 0;
    for (let i = 0; i < finished; i++) bytes += this.chunkSizes[i];
    const perRowGroup = bytes / finished;
    const inProgress = (this.batches - finished * g) / g;
    return { bytes: bytes + perRowGroup * inProgress, perRowGroup, atRowGroupEnd };
  }

  async close(): Promise<{ key: string; rows: number; bytes: number }> {
    this.encoder.post({ t: 'close' });
    await this.until(() => this.closed);
    await this.writes;
    const { bytes } = await this.out.complete();
    return { key: this.key, rows: this.rows, bytes };
  }

  async abort(): Promise<void> {
    await this.writes.catch(() => undefined);
    await this.out.abort();
  }
}
