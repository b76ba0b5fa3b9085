import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The part of the WebAssembly JS API used here (the Node typings in use do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
export type WasmModule = { readonly __wasmModule?: never };
export const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What wasm/assembly/csv.ts exports (numbers are i32/f64; addresses are byte offsets into `memory`). */
export interface CsvCore {
  memory: WasmMemory;
  init(columns: number): void;
  dialectAddress(): number;
  configure(): void;
  setBatching(bytes: number, maxRows: number): void;
  allocNullTokens(count: number, bytes: number): number;
  setColumn(c: number, type: number, nullable: number, trim: number, jsCheck: number): void;
  setRange(c: number, hasMin: number, min: number, hasMax: number, max: number): void;
  allocAllowed(c: number, count: number): number;
  setBoolAllowed(c: number, allowTrue: number, allowFalse: number): void;
  setDecimal(c: number, precision: number, scale: number, pow10: number): void;
  setFormat(c: number, kind: number, parts: number): number;
  setFieldMap(f: number, c: number): void;
  setFieldCount(n: number): void;
  setMissing(c: number): void;
  reserveInput(total: number): number;
  inputAddress(): number;
  compact(n: number, len: number): void;
  parse(len: number, final: number): number;
  firstLineLength(rel: number, len: number): number;
  getPos(): number;
  setPos(p: number): void;
  getLine(): number;
  setLine(l: number): void;
  setBase(b: number): void;
  setValidEnd(rel: number): void;
  fieldStarts(): number;
  fieldEnds(): number;
  fieldKinds(): number;
  fieldCount(): number;
  getBrokenField(): number;
  setHeaderDone(): void;
  getRows(): number;
  getBatchRows(): number;
  linesAddress(): number;
  columnAddress(c: number): number;
  rejectsAddress(): number;
  getRejectCount(): number;
  clearRejects(): void;
  nullCount(c: number): number;
  resetBatch(): void;
  statRowsRead(): number;
  statRowsWritten(): number;
  statRowsRejected(): number;
  statBlankLines(): number;
  statCommentLines(): number;
  statPreambleLines(): number;
  setNumberFormat(c: number, percent: number, currencyLen: number): number;
  addFormat(c: number, kind: number, parts: number): number;
  formatCount(c: number, k: number): number;
  /** Written values of float64 column `c` the double does not hold as written (valuesRounded). */
  roundedCount(c: number): number;
  statRowsBlank(): number;
  /** Rows read by the fast path (plain fields tokenized and converted in one pass); for tests and profiles. */
  statFastRows(): number;
  continued(): void;
  addRowsRead(n: number): void;
  addCommentLine(): void;
}

/** Compiled cores by path: one in a process that uses one build (two in an A/B comparison of builds). */
const compiled = new Map<string, WasmModule>();

/** Where `npm run build:wasm` writes the core in a checkout; Lambda reads it from the layer (CSV_WASM_PATH). */
export function defaultCsvWasmPath(): string {
  return fileURLToPath(new URL('../../wasm/build/csv.wasm', import.meta.url));
}

/**
 * Linear memories of finished CSV cores, for the next core of this thread. A core's memory grows to its batch (a
 * 4 MB batch of a click log: ~9 MB); a new one per file is mapped, faulted in and collected again: in a process
 * converting 1 MB files one after another, two cores per file (the header probe's and the run's) made V8 collect the
 * whole heap about twice per file. A memory taken again is zeroed first (a new instance finds it as a new one), so a
 * core never sees another's bytes. At most MEMORY_KEEP memories and MEMORY_KEEP_BYTES in all are kept.
 */
const memories: WasmMemory[] = [];
const MEMORY_KEEP = 4;
const MEMORY_KEEP_BYTES = 256 * 1024 * 1024;
/** The pages the core declares as its initial memory (build-wasm.mjs: --initialMemory). */
const INITIAL_PAGES = 4;

/** A memory for a new core: a kept one, zeroed, or a new one. */
export function takeCoreMemory(): WasmMemory {
  const m = memories.pop();
  if (!m) return new WebAssemblyApi.Memory({ initial: INITIAL_PAGES });
  new Uint8Array(m.buffer).fill(0);
  return m;
}

/** A finished core's memory, kept for the next core (the core must not be used again). */
export function keepCoreMemory(m: WasmMemory): void {
  if (memories.includes(m) || memories.length >= MEMORY_KEEP) return;
  const kept = memories.reduce((n, k) => n + k.buffer.byteLength, 0);
  if (kept + m.buffer.byteLength <= MEMORY_KEEP_BYTES) memories.push(m);
}

/** Compiles the core once per process (per Lambda container); each decoder gets its own instance. */
export function csvCoreModule(path = defaultCsvWasmPath()): WasmModule {
  const known = compiled.get(path);
  if (known) return known;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`the CSV core ${path} is missing: build it with "npm run build:wasm" (npm ci runs it)`, {
      cause: err,
    });
  }
  const module = new WebAssemblyApi.Module(bytes);
  compiled.set(path, module);
  return module;
}
