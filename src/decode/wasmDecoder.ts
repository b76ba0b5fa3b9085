import type { DataType } from 'apache-arrow';
import { columnFormats, parseColumnType, type Contract } from '../contracts/contract.ts';
import {
  createColumnBuilder,
  isoToDays,
  numberFormatOf,
  isoToMicros,
  type StringBuilder,
  type ColumnBuilder,
} from './columnBuilders.ts';
import {
  emptyStats,
  fileHeader,
  formatsMatched,
  valuesRounded,
  matchHeader,
  type CsvDecoder,
  type DecodeOutput,
  type DecodeStats,
  type DecoderOptions,
} from './csvDecoder.ts';
import { FieldKind, unescapeField } from '../csv/csvTokenizer.ts';
import { BomProbe } from '../csv/bomProbe.ts';
import { validUtf8Prefix } from '../csv/utf8.ts';
import { joinHeaderRows } from '../csv/headerRows.ts';
import { BrokenHeaderError } from './errors.ts';
import { overlongStart, REJECT_MESSAGES, type SkippedLine, skipLine } from '../csv/rejectMessages.ts';
import { floatHoldsText, parseFloat64 } from '../csv/numbers.ts';

const utf8 = new TextDecoder();
import { compileTemporalFormat } from '../csv/temporal.ts';
import { BufferPool } from './bufferPool.ts';
import { exportBatch } from './wasmArrow.ts';
import { DIALECT, FORMAT, PART_KIND, REASON, REJECT_RECORD, STATUS, TYPE } from './wasmBoundary.ts';
import { csvCoreModule, type CsvCore, keepCoreMemory, takeCoreMemory, WebAssemblyApi } from './wasmCore.ts';
import { describeReject } from './wasmRejects.ts';

const RJ = REJECT_RECORD.offsets;

export interface WasmDecoderOptions extends DecoderOptions {
  /** The compiled core (default: wasm/build/csv.wasm beside the source). */
  wasmPath?: string;
  /** Only read the header (stats.header, headerEnd), without matching it to the contract: a probe. */
  headerOnly?: boolean;
  /** Where batch buffers come from (and go back to: `pool.give`); default: a pool of this decoder's own. */
  pool?: BufferPool;
}

/**
 * The production CSV decoder: the AssemblyScript core tokenizes and converts in linear memory; this class
 * moves input in, finished column buffers out (one copy each, straight into Arrow Data), and turns the core's
 * reject codes into the same reasons and messages as the reference decoder (JsCsvDecoder).
 */
export class WasmCsvDecoder implements CsvDecoder {
  readonly stats: DecodeStats = emptyStats();
  private readonly core: CsvCore;
  private readonly types: DataType[];
  private readonly kinds: number[];
  /** Reference builders: messages for refused values, and the string checks the core asks JavaScript for. */
  private readonly oracle: ColumnBuilder[];
  private fieldToColumn: number[];
  private headerPending: boolean;
  /** Columns with several date or timestamp formats (their matches are counted). */
  private readonly multiFormat: number[] = [];
  /** Header records still to read, and the texts of those read (dialect.headerRows). */
  private headerRowsLeft: number;
  private headerTexts: string[][] = [];
  private bom: BomProbe;
  private inLen = 0;
  private rescanAt = 0;
  /** An oversized line being skipped to its end. */
  private skipping: SkippedLine | null = null;
  private out: DecodeOutput = { batches: [], rejects: [] };
  /** Bytes of the stream pushed so far (a BOM included): the region starts at `pushed - inLen`. */
  private pushed = 0;
  /** Stream offset just after the header record (0 without a header), once it has been read. */
  headerEnd: number | null = null;
  private readonly maxRecordBytes: number;
  private readonly headerOnly: boolean;
  private readonly quote: number;
  private readonly escape: number;
  /** The comment character's byte, or -1. */
  private readonly comment: number;
  /** Where the batches' buffers come from. */
  readonly pool: BufferPool;
  private disposed = false;
  private readonly ownMemory: boolean;

  constructor(
    private readonly contract: Contract,
    options: WasmDecoderOptions = {},
  ) {
    const d = contract.dialect;
    this.quote = d.quote.charCodeAt(0);
    this.escape = (d.escape ?? d.quote).charCodeAt(0);
    this.comment = d.comment ? d.comment.charCodeAt(0) : -1;
    this.maxRecordBytes = d.maxRecordBytes;
    this.headerOnly = options.headerOnly ?? false;
    this.pool = options.pool ?? new BufferPool();
    this.oracle = contract.columns.map((c) => createColumnBuilder(c, d.encoding));
    this.types = this.oracle.map((b) => b.arrowType);
    this.kinds = contract.columns.map((c) => TYPE[parseColumnType(c.type).kind]);
    const memory = takeCoreMemory();
    const instance = new WebAssemblyApi.Instance(csvCoreModule(options.wasmPath), {
      env: {
        memory,
        abort: (_msg: number, _file: number, line: number, col: number) => {
          throw new Error(`CSV core aborted at csv.ts:${line}:${col}`);
        },
        parseFloatSlow: (ptr: number, len: number) => parseFloat64(this.bytes(), ptr, ptr + len),
        floatHoldsText: (ptr: number, len: number, v: number) =>
          floatHoldsText(utf8.decode(this.bytes().subarray(ptr, ptr + len)), v) ? 1 : 0,
        checkString: (col: number, ptr: number, len: number) => {
          const problem = (this.oracle[col] as StringBuilder).check(this.bytes(), ptr, ptr + len);
          return problem ? REASON[problem.reason] : 0;
        },
      },
    });
    this.core = instance.exports as unknown as CsvCore;
    // A core built before it imported its memory has its own (never kept for another).
    this.ownMemory = this.core.memory === memory;
    const core = this.core;
    const ncols = contract.columns.length;
    core.init(ncols);
    const dialect = new DataView(core.memory.buffer, core.dialectAddress(), DIALECT.size);
    const set = (field: keyof typeof DIALECT.offsets, value: number) =>
      dialect.setInt32(DIALECT.offsets[field], value, true);
    set('delimiter', d.delimiter.charCodeAt(0));
    set('quote', this.quote);
    set('escape', this.escape);
    set('comment', d.comment ? d.comment.charCodeAt(0) : -1);
    set('strictQuotes', d.strictQuotes ? 1 : 0);
    set('maxRecordBytes', Math.min(d.maxRecordBytes, 0x7fffffff));
    set('latin1', d.encoding === 'latin1' ? 1 : 0);
    set('header', d.header ? 1 : 0);
    set('skipLines', d.skipLines);
    set('skipInitialSpace', d.skipInitialSpace ? 1 : 0);
    set('decimalSeparator', d.decimalSeparator.charCodeAt(0));
    set('trailingDelimiter', d.trailingDelimiter ? 1 : 0);
    set('thousandsSeparator', d.thousandsSeparator ? d.thousandsSeparator.charCodeAt(0) : -1);
    core.configure();
    core.setBatching(options.batchBytes ?? 16 * 1024 * 1024, options.maxBatchRows ?? 1 << 20);
    if (!(d.nullTokens.length === 1 && d.nullTokens[0] === '')) this.setNullTokens(d.nullTokens);
    for (const [c, column] of contract.columns.entries()) this.configureColumn(column, c);
    this.fieldToColumn = contract.columns.map((_, i) => i);
    this.headerPending = d.header;
    this.headerRowsLeft = d.header ? d.headerRows : 0;
    if (!d.header) this.headerEnd = 0;
    this.bom = new BomProbe(d.bom === 'keep');
  }

  /**
   * Parses every complete record pushed so far. Returns where the unparsed rest begins (a stream offset: the
   * start of the next record) and its line, or null while an oversized line is being skipped. A run can stop
   * there (suspend) and another decoder continue from that offset with `continueAt`.
   */
  flush(): { output: DecodeOutput; offset: number; line: number; pending: number } | null {
    if (this.disposed) throw new Error('WasmCsvDecoder: used after dispose()');
    if (this.inLen > 0) this.consume(false);
    if (this.skipping) return null;
    if (this.core.getRows() > 0) this.cutBatch();
    return { output: this.take(), offset: this.pushed - this.inLen, line: this.core.getLine(), pending: this.inLen };
  }

  /**
   * After the header has been pushed and read, the next bytes pushed are those from stream offset `offset`
   * (a record start) on, which is physical line `line`. Used for byte ranges and for continuing a suspended run.
   */
  continueAt(offset: number, line: number): void {
    if (this.headerPending || this.inLen > 0 || this.skipping)
      throw new Error('continueAt: the header must have been read and nothing else pushed');
    this.bom = new BomProbe(true);
    this.pushed = offset;
    this.core.setLine(line);
    this.core.continued();
  }

  /**
   * Done with this decoder: its core's memory goes to the next decoder of this thread (wasmCore.ts), so nothing
   * may be pushed afterwards. Batches and rejects already taken are copies and stay valid.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownMemory) keepCoreMemory(this.core.memory);
  }

  push(chunk: Uint8Array): DecodeOutput {
    if (this.disposed) throw new Error('WasmCsvDecoder: used after dispose()');
    this.stats.bytesRead += chunk.length;
    const start = this.bom.take(chunk);
    if (!start) return this.take();
    if (start.bom) {
      this.pushed += 3;
      this.core.setBase(3);
    }
    this.append(start.bytes);
    return this.take();
  }

  /** Adds bytes to the region and parses when enough have come since the last try. */
  private append(chunk: Uint8Array): void {
    this.pushed += chunk.length;
    const addr = this.core.reserveInput(this.inLen + chunk.length);
    this.bytes().set(chunk, addr + this.inLen);
    this.inLen += chunk.length;
    if (this.inLen >= this.rescanAt) this.consume(false);
  }

  end(): DecodeOutput {
    if (this.disposed) throw new Error('WasmCsvDecoder: used after dispose()');
    const held = this.bom.rest();
    if (held) this.append(held);
    this.consume(true);
    if (this.core.getRows() > 0) this.cutBatch();
    return this.take();
  }

  /** Batch row count decided by the first batch (0 until then). */
  get rowsPerBatch(): number {
    return this.core.getBatchRows();
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.core.memory.buffer);
  }

  private take(): DecodeOutput {
    const core = this.core;
    const s = this.stats;
    s.rowsRead = core.statRowsRead();
    s.rowsWritten = core.statRowsWritten();
    s.rowsRejected = core.statRowsRejected();
    s.rowsBlank = core.statRowsBlank();
    s.blankLines = core.statBlankLines();
    s.commentLines = core.statCommentLines();
    s.preambleLines = core.statPreambleLines();
    s.valuesRounded = valuesRounded(this.contract, (c) => core.roundedCount(c));
    if (this.multiFormat.length)
      s.formatsMatched = formatsMatched(
        this.contract,
        this.contract.columns.map((col, c) =>
          this.multiFormat.includes(c) ? columnFormats(col).map((_, k) => core.formatCount(c, k)) : null,
        ),
      );
    const o = this.out;
    this.out = { batches: [], rejects: [] };
    return o;
  }

  private configureColumn(column: Contract['columns'][number], c: number): void {
    const core = this.core;
    const kind = this.kinds[c];
    const checks = column.checks;
    const jsCheck =
      kind === TYPE.string &&
      checks !== undefined &&
      (checks.allowed !== undefined ||
        checks.pattern !== undefined ||
        checks.min !== undefined ||
        checks.max !== undefined);
    core.setColumn(c, kind, column.nullable ? 1 : 0, column.trim ? 1 : 0, jsCheck ? 1 : 0);
    const t = parseColumnType(column.type);
    if (t.kind === 'decimal') core.setDecimal(c, t.precision, t.scale, 10 ** t.scale);
    const numberFormat = numberFormatOf(column, this.contract.dialect);
    if (numberFormat) {
      const currency = numberFormat.currency ?? new Uint8Array(0);
      const addr = core.setNumberFormat(c, numberFormat.percent ? 1 : 0, currency.length);
      this.bytes().set(currency, addr);
    }
    if (t.kind === 'date' || t.kind === 'timestamp') {
      for (const [k, text] of columnFormats(column).entries()) {
        const f = compileTemporalFormat(text);
        const parts = f.kind === 'pattern' ? f.parts : [];
        const addr = (k === 0 ? core.setFormat : core.addFormat)(c, FORMAT[f.kind], parts.length);
        const words = new Int32Array(core.memory.buffer, addr, parts.length * 4);
        for (const [i, p] of parts.entries()) {
          words.set(
            'literal' in p ? [PART_KIND.literal, p.literal, 0, 0] : [PART_KIND[p.field], 0, p.min, p.max],
            i * 4,
          );
        }
      }
      if (columnFormats(column).length > 1) this.multiFormat.push(c);
    }
    if (kind === TYPE.string || !checks) return;
    if (t.kind === 'boolean') {
      const allowed = checks.allowed;
      if (allowed) {
        const ok = (v: boolean) => allowed.some((a) => a === v || String(a) === String(v));
        core.setBoolAllowed(c, ok(true) ? 1 : 0, ok(false) ? 1 : 0);
      }
      return;
    }
    // The reference builders turn check bounds into numbers this way (FixedBuilder's toNumber).
    const toNumber = t.kind === 'date' ? isoToDays : t.kind === 'timestamp' ? isoToMicros : Number;
    const min = checks.min !== undefined ? toNumber(checks.min) : undefined;
    const max = checks.max !== undefined ? toNumber(checks.max) : undefined;
    core.setRange(c, min !== undefined ? 1 : 0, min ?? 0, max !== undefined ? 1 : 0, max ?? 0);
    if (checks.allowed) {
      const values = checks.allowed.map((v) => toNumber(v as string | number));
      const addr = core.allocAllowed(c, values.length);
      new Float64Array(core.memory.buffer, addr, values.length).set(values);
    }
  }

  private setNullTokens(tokens: string[]): void {
    const enc = tokens.map((t) => new TextEncoder().encode(t));
    const size = enc.reduce((n, t) => n + 4 + ((t.length + 3) & ~3), 0);
    let addr = this.core.allocNullTokens(enc.length, Math.max(size, 4));
    for (const t of enc) {
      new DataView(this.core.memory.buffer).setInt32(addr, t.length, true);
      this.bytes().set(t, addr + 4);
      addr += 4 + ((t.length + 3) & ~3);
    }
  }

  // Tokenizer control: carried bytes, oversized records, unterminated quotes (as CsvTokenizer.consume does).

  private consume(final: boolean): void {
    if (this.skipping) {
      this.skip(final);
      if (this.skipping) return;
    }
    const overlong = this.run(final);
    const p = this.core.getPos();
    const rest = this.inLen - p;
    this.core.compact(p, this.inLen);
    this.inLen = rest;
    if (rest === 0) {
      this.rescanAt = 0;
      return;
    }
    // A CR at the end may be the record's own line break (waiting for a possible LF): it does not count.
    const length = rest - (this.bytes()[this.core.inputAddress() + rest - 1] === 13 ? 1 : 0);
    if (overlong || (!final && length > this.maxRecordBytes)) {
      this.dropOverlong(final);
      return;
    }
    this.rescanAt = rest * 2;
  }

  /**
   * The region starts with a record over maxRecordBytes (complete, or still arriving): its first physical line is
   * quarantined and reading goes on at the next line, decided by that line alone so that any chunking gives the
   * same rejects. A line over the limit keeps its first bytes and is skipped to its end; a shorter first line of a
   * longer record (a quoted field with line breaks) is quarantined whole.
   */
  private dropOverlong(final: boolean): void {
    const addr = this.core.reserveInput(this.inLen);
    const region = this.bytes().subarray(addr, addr + this.inLen);
    const start = overlongStart(region, this.maxRecordBytes, this.comment, this.core.getLine(), final);
    if (start === 'wait') {
      this.rescanAt = 0;
      return;
    }
    if (start !== 'drop-line') {
      this.skipping = start.skip;
      this.skip(final);
    } else {
      const len = this.core.firstLineLength(0, this.inLen);
      this.broken(
        region.slice(0, len),
        this.core.getLine(),
        'record-too-large',
        REJECT_MESSAGES.overlongRecord(this.maxRecordBytes),
      );
      this.dropped(len);
    }
    if (!this.skipping && this.inLen > 0) this.consume(final);
  }

  /** Runs the core over the region until it needs more input; true when it stopped at a record over the limit. */
  private run(final: boolean): boolean {
    const core = this.core;
    this.markValidUtf8();
    for (;;) {
      const status = core.parse(this.inLen, final ? 1 : 0);
      this.drainRejects();
      if (status === STATUS['batch-full']) {
        this.cutBatch();
      } else if (status === STATUS.header) {
        this.readHeader();
      } else if (status === STATUS.unterminated) {
        const p = core.getPos();
        const len = core.firstLineLength(p, this.inLen);
        const addr = core.inputAddress();
        this.broken(
          this.bytes().slice(addr + p, addr + p + len),
          core.getLine(),
          'unterminated-quote',
          REJECT_MESSAGES.unterminated(core.getBrokenField()),
        );
        core.setLine(core.getLine() + 1);
        core.setPos(p + len);
      } else {
        return status === STATUS.overlong;
      }
    }
  }

  /**
   * Skips an oversized line up to its line break (the region starts inside it). A CR at the end of the region
   * stays there until the next chunk shows whether an LF follows it.
   */
  private skip(final: boolean): void {
    const s = this.skipping!;
    const addr = this.core.inputAddress();
    const region = this.bytes().subarray(addr, addr + this.inLen);
    const { upTo, done } = skipLine(region, final);
    s.bytes += upTo;
    this.core.compact(upTo, this.inLen);
    this.inLen -= upTo;
    if (!done) return;
    this.skipping = null;
    this.core.setLine(this.core.getLine() + 1);
    if (s.comment) this.core.addCommentLine();
    else
      this.broken(
        s.head,
        s.line,
        'record-too-large',
        REJECT_MESSAGES.overlongLine(s.bytes, this.maxRecordBytes, s.head.length),
      );
  }

  /** The first `len` bytes of the region were quarantined as one broken line. */
  private dropped(len: number): void {
    this.core.compact(len, this.inLen);
    this.inLen -= len;
    this.core.setLine(this.core.getLine() + 1);
  }

  private broken(
    raw: Uint8Array,
    line: number,
    reason: 'unterminated-quote' | 'record-too-large',
    detail: string,
  ): void {
    if (this.headerPending) throw new BrokenHeaderError(line, detail);
    let end = raw.length;
    while (end > 0 && (raw[end - 1] === 10 || raw[end - 1] === 13)) end--;
    this.core.addRowsRead(1);
    this.out.rejects.push({ line, column: null, reason, message: detail, raw: raw.subarray(0, end) });
  }

  /** Tells the core which part of the region is valid UTF-8 as a whole (values there need no check). */
  private markValidUtf8(): void {
    const addr = this.core.inputAddress();
    this.core.setValidEnd(validUtf8Prefix(this.bytes().subarray(addr, addr + this.inLen)));
  }

  private readHeader(): void {
    const core = this.core;
    const mem = this.bytes();
    const n = core.fieldCount();
    const starts = new Int32Array(core.memory.buffer, core.fieldStarts(), n);
    const ends = new Int32Array(core.memory.buffer, core.fieldEnds(), n);
    const kinds = mem.subarray(core.fieldKinds(), core.fieldKinds() + n);
    const names: string[] = [];
    const utf8 = new TextDecoder();
    for (let f = 0; f < n; f++) {
      let field = mem.subarray(starts[f], ends[f]);
      if (kinds[f] === FieldKind.QuotedEscaped) {
        const out = new Uint8Array(field.length);
        field = out.subarray(0, unescapeField(mem, starts[f], ends[f], this.quote, this.escape, out));
      }
      names.push(utf8.decode(field));
    }
    this.headerTexts.push(names);
    if (--this.headerRowsLeft > 0) return;
    this.takeHeader(fileHeader(this.contract, joinHeaderRows(this.headerTexts)));
  }

  private takeHeader(names: string[]): void {
    const core = this.core;
    this.stats.header = names;
    this.headerPending = false;
    this.headerEnd = this.pushed - this.inLen + core.getPos();
    if (this.headerOnly) {
      core.setHeaderDone();
      return;
    }
    const m = matchHeader(this.contract, names);
    this.fieldToColumn = m.fieldToColumn;
    this.stats.reordered = m.reordered;
    if (names.length !== this.contract.columns.length || m.missing.length) core.setFieldCount(names.length);
    for (const [f, c] of m.fieldToColumn.entries()) core.setFieldMap(f, c);
    for (const c of m.missing) core.setMissing(c);
    core.setHeaderDone();
  }

  private drainRejects(): void {
    const core = this.core;
    const count = core.getRejectCount();
    if (count === 0) return;
    const view = new DataView(core.memory.buffer, core.rejectsAddress(), count * REJECT_RECORD.size);
    const input = core.inputAddress();
    const mem = this.bytes();
    for (let i = 0; i < count; i++) {
      const o = i * REJECT_RECORD.size;
      const int = (field: keyof typeof RJ) => view.getInt32(o + RJ[field], true);
      const line = view.getFloat64(o + RJ.line, true);
      const raw = mem.slice(input + int('start'), input + int('end'));
      this.out.rejects.push(
        describeReject(this.contract, this.fieldToColumn, {
          line,
          raw,
          field: int('field'),
          code: int('reason'),
          aux: int('aux'),
        }),
      );
    }
    core.clearRejects();
  }

  private cutBatch(): void {
    this.out.batches.push(exportBatch(this.core, this.types, this.kinds, this.pool));
    this.core.resetBatch();
  }
}
