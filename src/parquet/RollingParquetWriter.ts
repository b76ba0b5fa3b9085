// Raw Parquet output of a conversion: RollingParquetWriter cuts the decoded batches into files of about the target
// size and row groups of rowGroupBatches batches, and hands each row group to an encoder: InlineParquetEncoder (in
// this thread) or ParquetEncoderThread (a worker bundled with esbuild at run time, kept idle for the next run:
// takeIdle/parkOrStop), with Landfall's own writer (write/) or parquet-wasm. The row groups are stitched into one
// file (ParquetStitcher). Why these sizes and choices: docs/benchmark.md. Its rooms are issue 34.
import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ObjectStore, ObjectWriter } from '../ports.ts';
import { ParquetStitcher } from './ParquetStitcher.ts';
import { PAGE_ROWS, type RowGroupSpec } from './write/columnSpec.ts';
import { columnValues, rowGroupSpec, type WriterChoices } from './write/fromArrow.ts';
import { zstdWasmPath } from './write/zstd.ts';

export interface ParquetTuning extends WriterChoices {
  /** Rows per row group: a whole number of decoder batches, so that row groups close on batch boundaries. */
  rowGroupRows: number;
}

export interface OutputFile {
  key: string;
  rows: number;
  bytes: number;
}

/**
 * Row groups finished before a file's size is estimated: the decision to close a file at the end of row group
 * j uses the exact sizes of row groups 0..j-SIZE_LAG and their average for the rest, so up to SIZE_LAG row
 * groups can be encoding at once, and the decision never depends on timing or on the number of threads.
 */
const SIZE_LAG = 4;

/**
 * Streams record batches into Parquet files of about `targetBytes` each. Every row group is encoded on its
 * own (one writer session per row group; with N >= 2 threads, N - 1 encoder threads take row groups in turn) and
 * the encoded row groups are joined in order into one file by ParquetStitcher. Every batch but a file's last
 * has the same row count and a row group is exactly `rowGroupBatches` batches, so row groups close on batch
 * boundaries. A file is closed, on a row-group boundary, when its estimated size plus half a row group reaches
 * the target, so files land near it. The same input gives byte-identical files at any thread count.
 */
export interface RollingWriterOptions {
  /** The key of the n-th file. */
  keyFor: (index: number) => string;
  /** Files are closed, on a row-group boundary, near this size. */
  targetBytes: number;
  /** Record batches per row group. */
  rowGroupBatches: number;
  /** The writer settings for the next row group (asked when it opens: the batch row count is known by then). */
  tuning: () => ParquetTuning;
  /** Encoder threads, the writer, and where their scripts and .wasm files are. */
  encoder?: EncoderOptions;
}

export class RollingParquetWriter {
  private current: StitchedFile | null = null;
  private group: RowGroupJob | null = null;
  private readonly done: OutputFile[] = [];
  private pool: EncoderPool | null = null;

  private readonly keyFor: (index: number) => string;
  private readonly targetBytes: number;
  private readonly rowGroupBatches: number;
  private readonly tuning: () => ParquetTuning;
  private readonly encoderOptions: EncoderOptions;

  constructor(
    private readonly store: ObjectStore,
    options: RollingWriterOptions,
  ) {
    this.keyFor = options.keyFor;
    this.targetBytes = options.targetBytes;
    this.rowGroupBatches = options.rowGroupBatches;
    this.tuning = options.tuning;
    this.encoderOptions = options.encoder ?? {};
  }

  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    this.pool ??= new EncoderPool(this.encoderOptions);
    this.current ??= new StitchedFile(this.store, this.keyFor(this.done.length));
    // The run's first row group: no file done, none in the open one.
    const first = this.done.length === 0 && this.current.groups === 0;
    this.group ??= new RowGroupJob(
      await this.pool.take(),
      this.tuning(),
      writerOf(this.encoderOptions),
      this.batchesAhead(batch.numRows, first),
    );
    await this.group.push(batch);
    if (this.group.batches < this.rowGroupBatches) return;
    await this.endGroup();
    const f = this.current;
    const estimate = await f.estimate(f.groups - SIZE_LAG);
    if (estimate && estimate.bytes + estimate.perRowGroup / 2 >= this.targetBytes) await this.roll();
  }

  /**
   * How many batches this thread may send an encoder before it has taken them in. Two keep it busy when its pages are
   * written as batches arrive. A row group smaller than a page (a wide table's) has all of its pages written when it
   * closes, and meanwhile the encoder takes in nothing: with two, this thread decoded two batches of the next row group
   * and waited (both threads idle ~0.8 s of a 3.2 s conversion of the 300-column file). Such row groups may be sent
   * whole: 3.19-3.24 -> 2.60-2.83 s, peak RSS +15-25 MB (the next row group's batches, waiting). The first row group
   * of a run may run BOOT_AHEAD batches further: a new encoder thread boots and encodes its first batches unoptimized,
   * and this thread waited ~100 ms for its first acknowledgements (256 MB at 2 threads: events 1.35-1.44 -> 1.29-1.38
   * s, click log 1.46-1.52 -> 1.43-1.49; peak RSS +10-20 MB, under 275).
   */
  private batchesAhead(rows: number, first: boolean): number {
    if (writerOf(this.encoderOptions) === 'landfall' && rows * this.rowGroupBatches < PAGE_ROWS)
      return this.rowGroupBatches;
    return first ? 2 + BOOT_AHEAD : 2;
  }

  /**
   * Starts this run's encoder threads now (Landfall's writer, 2+ threads), so that they boot while the first batch
   * is decoded instead of after it.
   */
  prestart(): void {
    this.pool ??= new EncoderPool(this.encoderOptions);
    this.pool.prestart();
  }

  /** Closes the open file; returns every file written, in order. None is visible before `complete()` of its writer. */
  async close(): Promise<OutputFile[]> {
    let ended = false;
    try {
      await this.endGroup();
      await this.roll();
      ended = true;
    } finally {
      await this.pool?.stop(ended);
      this.pool = null;
    }
    return this.done;
  }

  async abort(): Promise<void> {
    await this.current?.abort();
    this.current = null;
    this.group = null;
    await this.pool?.stop();
    this.pool = null;
    await Promise.all(this.done.map((f) => this.store.delete(f.key)));
  }

  private async endGroup(): Promise<void> {
    if (!this.group) return;
    const g = this.group;
    this.group = null;
    this.current!.add(
      g.end().finally(() => this.pool?.give(g.encoder)),
      g.rows,
    );
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
  /** 1: encode on the converting thread; N >= 2: on N - 1 encoder threads while this one decodes. */
  threads?: number;
  /** Which Parquet writer encodes: Landfall's own (default) or parquet-wasm. Both write the same schema and values. */
  writer?: ParquetWriterKind;
  /** Landfall's writer: its encoder thread's script (Lambda: in the layer); default: bundled from the source. */
  landfallWorkerPath?: string;
  /** Landfall's writer: libzstd's .wasm (Lambda: in the layer); default: wasm/zstd/zstd.wasm of the checkout. */
  zstdWasmPath?: string;
  /** Landfall's writer: gets each batch's buffers back once they are encoded (the decoder uses them again). */
  release?: (buffers: ArrayBuffer[]) => void;
}

export type ParquetWriterKind = 'landfall' | 'parquet-wasm';

/** The writer the options choose (Landfall's unless they say otherwise). */
function writerOf(o: EncoderOptions): ParquetWriterKind {
  return o.writer ?? 'landfall';
}

/** Where encoder messages go: an encoder thread, or an encoder session in this thread. */
interface ParquetEncoder {
  /** Sends the messages of row group `g` to `fn` (messages without a group, errors, go to every row group). */
  route(g: number, fn: (m: EncoderMessage) => void): void;
  unroute(g: number): void;
  post(m: object, transfer?: ArrayBuffer[]): void;
  readonly error: Error | null;
  stop(): Promise<void>;
  /**
   * Landfall's writer: messages sent that the encoder has not taken in yet ('open' and 'batch', each answered by a
   * 'pulled'), every row group's together.
   */
  unpulled: number;
  /** Settles at the encoder's next 'pulled' (or error). */
  nextPulled(): Promise<void>;
}

/** An encoder's row groups in flight, each with its listener; released batch buffers go to `release`. */
class Routes {
  private readonly jobs = new Map<number, (m: EncoderMessage) => void>();

  constructor(protected release?: (buffers: ArrayBuffer[]) => void) {}

  unpulled = 0;
  private pullWaiters: (() => void)[] = [];

  nextPulled(): Promise<void> {
    return new Promise((r) => this.pullWaiters.push(r));
  }

  /** Whether no row group is being encoded. */
  get idle(): boolean {
    return this.jobs.size === 0;
  }

  route(g: number, fn: (m: EncoderMessage) => void): void {
    this.jobs.set(g, fn);
  }

  unroute(g: number): void {
    this.jobs.delete(g);
  }

  deliver(m: EncoderMessage): void {
    if (m.t === 'release') {
      this.release?.(m.buffers);
      return;
    }
    const fn = 'g' in m && m.g !== undefined ? this.jobs.get(m.g) : undefined;
    if (fn) fn(m);
    else for (const f of [...this.jobs.values()]) f(m);
    // After the row group's listener (which counts a 'pulled' off `unpulled`): whoever waits for room looks again.
    if (m.t === 'pulled' || m.t === 'error') {
      const waiters = this.pullWaiters;
      this.pullWaiters = [];
      for (const w of waiters) w();
    }
  }
}

let parquetWasm: Promise<typeof import('parquet-wasm/esm')> | null = null;

/** parquet-wasm in this thread, read and compiled once per process (not once per file). */
function loadParquetWasm(wasmPath?: string): Promise<typeof import('parquet-wasm/esm')> {
  parquetWasm ??= import('parquet-wasm/esm').then(async (pw) => {
    const exports = pw.initSync({
      module: readFileSync(wasmPath ?? createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')),
    });
    const { pregrowMemory } = await import('./parquetEncoderSession.mjs');
    pregrowMemory(exports);
    return pw;
  });
  return parquetWasm;
}

/** One thread for everything: the encoder session runs here, between decoding steps. */
export class InlineParquetEncoder extends Routes implements ParquetEncoder {
  private failure: Error | null = null;
  private readonly handler: Promise<(m: object) => Promise<void>>;
  private chain: Promise<void> = Promise.resolve();

  constructor(options: EncoderOptions = {}) {
    super(options.release);
    this.handler = (async () => {
      const post = (m: EncoderMessage) => {
        if (m.t === 'error') this.failure = new Error(`Parquet encoder: ${m.message}`);
        this.deliver(m);
      };
      if (writerOf(options) === 'landfall') {
        const { createLandfallSession } = await import('./write/encoderSession.ts');
        const session = createLandfallSession(post as (m: object) => void, options.zstdWasmPath);
        return async (m: object) => session(m as never);
      }
      const pw = await loadParquetWasm(options.wasmPath);
      const { createEncoderSession } = await import('./parquetEncoderSession.mjs');
      return createEncoderSession(pw, post);
    })();
    this.handler.catch((err: Error) => {
      this.failure = err;
      this.deliver({ t: 'error', message: err.message });
    });
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

/** The encoder thread: the Parquet writer runs there while this thread decodes CSV. */
export class ParquetEncoderThread extends Routes implements ParquetEncoder {
  private readonly worker: Worker;
  private failure: Error | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  /** What a thread is interchangeable by: its script and its .wasm files. */
  static keyOf(options: EncoderOptions): string {
    const landfall = writerOf(options) === 'landfall';
    return JSON.stringify([
      writerOf(options),
      landfall ? (options.landfallWorkerPath ?? 'source') : (options.workerPath ?? 'source'),
      options.wasmPath ?? '',
      options.zstdWasmPath ?? '',
    ]);
  }

  constructor(options: EncoderOptions = {}) {
    super(options.release);
    threadsStarted++;
    const landfall = writerOf(options) === 'landfall';
    const url = landfall
      ? options.landfallWorkerPath
        ? pathToFileURL(options.landfallWorkerPath)
        : landfallWorkerFromSource()
      : options.workerPath
        ? pathToFileURL(options.workerPath)
        : new URL('./parquetEncoder.worker.mjs', import.meta.url);
    this.worker = new Worker(url, {
      // A small young generation: the thread's garbage is short-lived pages and batches, and the default (tens of MB
      // per isolate) showed in peak RSS (the 300-column file, 256 MB at 2 threads: 341-357 -> 308-320 MB, same speed).
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      workerData: {
        wasmPath: options.wasmPath,
        zstdWasmPath: options.zstdWasmPath ?? (landfall ? zstdWasmPath() : undefined),
      },
    });
    this.worker.on('message', (m: EncoderMessage) => {
      if (m.t === 'error') this.failure = new Error(`Parquet encoder: ${m.message}`);
      this.deliver(m);
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      this.deliver({ t: 'error', message: err.message });
    });
  }

  post(m: object, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(m, transfer);
  }

  get error(): Error | null {
    return this.failure;
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.worker.terminate();
  }

  /** Kept for a later run: it no longer holds the process open, and ends after IDLE_MS unused. */
  park(onExpiry: () => void): void {
    this.release = undefined;
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      onExpiry();
      void this.stop();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  /** Back to work for a run whose decoder gets the batch buffers back through `release`. */
  resume(release: ((buffers: ArrayBuffer[]) => void) | undefined): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.release = release;
    this.worker.ref();
  }
}

/**
 * Encoder threads between runs, by ParquetEncoderThread.keyOf. A thread costs its start and, more, the warm-up of its
 * own JIT: a warm container converting file after file (16 MB click logs, 2 threads) took 340-370 ms a file with a
 * new encoder thread each time and 180-215 ms on one thread; kept, a thread starts warm. At most IDLE_KEEP per kind,
 * each for IDLE_MS.
 */
const idleThreads = new Map<string, ParquetEncoderThread[]>();
const IDLE_KEEP = 4;
const IDLE_MS = 60_000;

/** Batches the first row group of a run may send beyond the usual two while its encoder thread boots. */
const BOOT_AHEAD = 4;

/** The encoder thread's young generation (MB): see the constructor. */
const YOUNG_GENERATION_MB = 4;

let threadsStarted = 0;

/** Encoder threads started by this process so far (kept ones are counted once). */
export function encoderThreadsStarted(): number {
  return threadsStarted;
}

/** Ends every kept encoder thread (a process that wants its memory back, or a test that counts thread starts). */
export async function stopIdleEncoderThreads(): Promise<void> {
  const all = [...idleThreads.values()].flat();
  idleThreads.clear();
  await Promise.all(all.map((t) => t.stop()));
}

/** An idle encoder thread of this kind, if one is kept. */
function takeIdle(options: EncoderOptions): ParquetEncoderThread | null {
  const t = idleThreads.get(ParquetEncoderThread.keyOf(options))?.pop() ?? null;
  t?.resume(options.release);
  return t;
}

/** Keeps a thread whose run ended cleanly for the next run, or ends it. */
async function parkOrStop(options: EncoderOptions, t: ParquetEncoderThread): Promise<void> {
  const key = ParquetEncoderThread.keyOf(options);
  const kept = idleThreads.get(key) ?? [];
  if (t.error || !t.idle || kept.length >= IDLE_KEEP) {
    await t.stop();
    return;
  }
  kept.push(t);
  idleThreads.set(key, kept);
  t.park(() => {
    const i = kept.indexOf(t);
    if (i >= 0) kept.splice(i, 1);
  });
}

let bundledWorker: URL | null = null;

/**
 * Landfall's encoder thread from a checkout (tests, the command line, the benchmark): its TypeScript bundled by esbuild
 * (50-90 ms on the converting thread, when the first batch is ready; kept between processes, see bundledScript). The
 * runtime layer carries the thread built (landfallWorkerPath).
 */
function landfallWorkerFromSource(): URL {
  bundledWorker ??= bundledScript(
    fileURLToPath(new URL('./write/encoderWorker.ts', import.meta.url)),
    join(dirname(createRequire(import.meta.url).resolve('esbuild/package.json')), '..', '.cache', 'landfall'),
    'encoder-worker',
  );
  return bundledWorker;
}

/**
 * `entry` bundled by esbuild into `dir`/`name`.mjs, beside the list of files it was built from (`name`.json): a later
 * call (another process) uses that build while none of those files is newer than it. Where `dir` cannot be written,
 * the bundle runs from memory (a data: URL).
 */
export function bundledScript(entry: string, dir: string, name: string): URL {
  const script = join(dir, `${name}.mjs`);
  const record = join(dir, `${name}.json`);
  try {
    const { inputs, builtAt } = JSON.parse(readFileSync(record, 'utf8')) as { inputs: string[]; builtAt: number };
    if (statSync(script).isFile() && inputs.every((f) => statSync(f).mtimeMs < builtAt)) return pathToFileURL(script);
  } catch {
    // not built yet, or a file it was built from is gone: built below
  }
  const builtAt = Date.now();
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  try {
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed: processes starting meanwhile read the last whole build.
    const tag = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    writeFileSync(`${script}.${tag}`, code);
    renameSync(`${script}.${tag}`, script);
    const inputs = Object.keys(out.metafile.inputs).map((f) => resolve(f));
    writeFileSync(`${record}.${tag}`, JSON.stringify({ inputs, builtAt }));
    renameSync(`${record}.${tag}`, record);
    return pathToFileURL(script);
  } catch {
    return new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  }
}

/** `g`: the row group (Landfall's writer; parquet-wasm's session has one row group at a time and names none). */
type EncoderMessage =
  | { t: 'pulled'; g?: number }
  | { t: 'chunk'; bytes: Uint8Array; g?: number }
  | { t: 'chunk'; parts: Uint8Array[]; g: number }
  | { t: 'closed'; g?: number }
  | { t: 'error'; message: string; g?: number }
  | { t: 'release'; buffers: ArrayBuffer[] };

/**
 * The encoders (one per thread, or one inline). Landfall's writer takes the next row group while it finishes the
 * last (its session keeps row groups apart by their number), so row groups go to the encoders in turn and the
 * converting thread never waits at a row group's end; parquet-wasm's session takes one row group at a time, so an
 * encoder is given back when its row group is written.
 */
class EncoderPool {
  private readonly idle: ParquetEncoder[] = [];
  private readonly all: ParquetEncoder[] = [];
  private waiting: ((e: ParquetEncoder) => void)[] = [];
  private turn = 0;

  constructor(private readonly options: EncoderOptions) {}

  /**
   * An encoder for the next row group. With N >= 2 threads, N - 1 encoder threads work beside the converting thread
   * (measured with Landfall's writer, 2 threads on 2 cores: one encoder thread keeps up with the decoder and was
   * 8-13% faster than two, whose three busy threads shared two cores, at 50-95 MB less peak RSS).
   */
  async take(): Promise<ParquetEncoder> {
    const threads = this.options.threads ?? 2;
    const count = threads >= 2 ? threads - 1 : 1;
    const pipelined = writerOf(this.options) === 'landfall';
    if (pipelined && this.all.length >= count) return this.all[this.turn++ % count];
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.all.length < count) {
      const e = threads >= 2 ? this.thread() : new InlineParquetEncoder(this.options);
      this.all.push(e);
      this.turn++;
      return e;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Landfall's writer at 2+ threads: its encoder threads, started (or taken from the kept ones) before the first row
   * group (take() hands them out in turn).
   */
  prestart(): void {
    if (writerOf(this.options) !== 'landfall') return;
    const count = (this.options.threads ?? 2) - 1;
    while (this.all.length < count) this.all.push(this.thread());
  }

  /** An encoder thread: a kept one of this kind, or a new one. */
  private thread(): ParquetEncoderThread {
    return takeIdle(this.options) ?? new ParquetEncoderThread(this.options);
  }

  give(e: ParquetEncoder): void {
    if (writerOf(this.options) === 'landfall') return;
    const next = this.waiting.shift();
    if (next) next(e);
    else this.idle.push(e);
  }

  /** `keep`: the run ended cleanly, its threads may serve a later run. */
  async stop(keep = false): Promise<void> {
    this.waiting = [];
    await Promise.all(
      this.all.map((e) =>
        keep && e instanceof ParquetEncoderThread && writerOf(this.options) === 'landfall'
          ? parkOrStop(this.options, e)
          : e.stop(),
      ),
    );
  }
}

let nextGroup = 1;

/** One row group being encoded, as a complete Parquet file of its own, by one encoder. */
class RowGroupJob {
  private readonly chunks: Uint8Array[] = [];
  private pulled = 0;
  private closed = false;
  private wake: (() => void) | null = null;
  batches = 0;
  rows = 0;

  private spec: RowGroupSpec | null = null;

  /** The row group's number among the encoder's messages. */
  private readonly g = nextGroup++;

  constructor(
    readonly encoder: ParquetEncoder,
    private readonly tuning: ParquetTuning,
    private readonly writer: ParquetWriterKind,
    /** Batches sent that the encoder may not have taken in yet (see RollingParquetWriter.batchesAhead). */
    private readonly ahead: number,
  ) {
    encoder.route(this.g, (m) => {
      if (m.t === 'pulled') {
        this.pulled++;
        if (writer === 'landfall') encoder.unpulled--;
      } else if (m.t === 'chunk') {
        if ('parts' in m) this.chunks.push(...m.parts);
        else this.chunks.push(m.bytes);
      } else if (m.t === 'closed') this.closed = true;
      this.wake?.();
    });
    if (writer === 'parquet-wasm') encoder.post({ t: 'open', tuning });
  }

  private async until(cond: () => boolean): Promise<void> {
    while (!cond()) {
      if (this.encoder.error) throw this.encoder.error;
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
    if (this.encoder.error) throw this.encoder.error;
  }

  /**
   * Feeds one batch. At most `ahead` + 1 batches are in flight per encoder (by default one being encoded, one queued
   * so that the encoder never waits for this thread, one being sent), so memory stays bounded however fast the
   * decoder is.
   */
  async push(batch: RecordBatch): Promise<void> {
    if (this.writer === 'landfall' && !this.spec) {
      this.spec = rowGroupSpec(batch.schema, this.tuning);
      this.encoder.post({ t: 'open', g: this.g, spec: this.spec });
      this.encoder.unpulled++;
    }
    if (this.spec) {
      // Counted over the encoder's row groups, not this one's: the encoder takes row groups in turn and may still be
      // writing the last ones, whose batches it holds (a wide table's row groups were sent whole, one after another,
      // up to SIZE_LAG of them: the 300-column file's batches took ~75 MB at 2 threads where ~50 keep the encoder busy).
      while (this.encoder.unpulled > this.ahead) {
        if (this.encoder.error) throw this.encoder.error;
        await this.encoder.nextPulled();
      }
      if (this.encoder.error) throw this.encoder.error;
    } else await this.until(() => this.pulled > this.batches - this.ahead);
    if (this.spec) {
      // The decoder's buffers move to the encoder thread as they are (each batch's buffers are its own).
      const { values, buffers } = columnValues(this.spec, batch);
      this.encoder.post({ t: 'batch', g: this.g, rows: batch.numRows, values, buffers }, buffers);
      this.encoder.unpulled++;
    } else {
      const ipc = tableToIPC(new Table([batch]), 'stream');
      this.encoder.post({ t: 'batch', ipc }, [ipc.buffer as ArrayBuffer]);
    }
    this.batches++;
    this.rows += batch.numRows;
  }

  /** The encoded row group, as one Parquet file in the chunks the encoder wrote it in. */
  async end(): Promise<Uint8Array[]> {
    this.encoder.post({ t: 'close', g: this.g });
    try {
      await this.until(() => this.closed);
    } finally {
      this.encoder.unroute(this.g);
    }
    return this.chunks;
  }
}

/** One output file: encoded row groups appended in order as they arrive, then the joined footer. */
class StitchedFile {
  private readonly out: ObjectWriter;
  private readonly stitcher: ParquetStitcher;
  private readonly sizes: number[] = [];
  /** Each queued row group's append, in order: the last one settles after all before it. */
  private readonly appended: Promise<void>[] = [];
  private rows = 0;

  constructor(
    store: ObjectStore,
    private readonly key: string,
  ) {
    this.out = store.write(key);
    this.stitcher = new ParquetStitcher((b) => this.out.write(b));
  }

  get groups(): number {
    return this.appended.length;
  }

  /** Queues a row group being encoded; it is appended after the ones queued before it. */
  add(part: Promise<Uint8Array[]>, rows: number): void {
    this.rows += rows;
    part.catch(() => undefined); // surfaced through the appends, in order
    const appended = this.last().then(async () => {
      const grown = () => this.stitcher.finishedSize - this.stitcher.fixedSize;
      const before = grown();
      await this.stitcher.append(await part);
      this.sizes.push(grown() - before);
    });
    appended.catch(() => undefined); // awaited later (estimate, close); a failure must not go unhandled meanwhile
    this.appended.push(appended);
  }

  /**
   * The file's estimated size, finished, once `known` row groups are appended: what the file costs once (the
   * footer's schema and metadata), the size of those row groups with their share of the footer and page
   * indexes, and their average for each later one; null while none is known.
   */
  async estimate(known: number): Promise<{ bytes: number; perRowGroup: number } | null> {
    if (known < 1) return null;
    await this.appended[known - 1];
    let bytes = 0;
    for (let i = 0; i < known; i++) bytes += this.sizes[i];
    const perRowGroup = bytes / known;
    return { bytes: this.stitcher.fixedSize + bytes + perRowGroup * (this.groups - known), perRowGroup };
  }

  private last(): Promise<void> {
    return this.appended[this.appended.length - 1] ?? Promise.resolve();
  }

  async close(): Promise<OutputFile> {
    await this.last();
    await this.stitcher.finish();
    const { bytes } = await this.out.complete();
    return { key: this.key, rows: this.rows, bytes };
  }

  async abort(): Promise<void> {
    await this.last().catch(() => undefined);
    await this.out.abort();
  }
}
