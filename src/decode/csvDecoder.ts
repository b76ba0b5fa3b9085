import { Int64, makeData, type Data } from 'apache-arrow';
import { validUtf8Prefix } from '../csv/utf8.ts';
import { NO_ROWS, type RowCounts } from '../lake/rowCounts.ts';
import { columnFormats, type Contract } from '../contracts/contract.ts';
import {
  createColumnBuilder,
  Float64Builder,
  numberFormatOf,
  StringBuilder,
  type ColumnBuilder,
  type TemporalBuilder,
  type ValueRejectReason,
} from './columnBuilders.ts';
import type { NumberFormat } from '../csv/numbers.ts';
import {
  CsvTokenizer,
  FieldKind,
  isBlankRecord,
  RecordProblem,
  unescapeField,
  withoutTrailingEmpty,
  type RecordSink,
} from '../csv/csvTokenizer.ts';
import { headerDrift } from '../contracts/drift.ts';
import { BomProbe } from '../csv/bomProbe.ts';
import { BrokenHeaderError, HeaderMismatchError } from './errors.ts';
import { MAX_COLUMN_NAME, REJECT_MESSAGES } from '../csv/rejectMessages.ts';
import { joinHeaderRows } from '../csv/headerRows.ts';

/** Contract columns of a run of rows, plus each row's source line. */
export interface DecodedBatch {
  rowCount: number;
  columns: Data[];
  sourceLines: Data<Int64>;
}

export type RejectReason = 'ragged-row' | 'stray-quote' | 'unterminated-quote' | 'record-too-large' | ValueRejectReason;

export interface RejectedRecord {
  line: number;
  /** Contract column at fault, or null for a record-level problem. */
  column: string | null;
  reason: RejectReason;
  message: string;
  /** The record's original bytes, without its line break. */
  raw: Uint8Array;
}

/** Row and line counts as the manifest has them (a decoder never sees the footer: footerLines stays 0 there). */
export interface DecodeStats extends RowCounts {
  /** Columns with several formats: how many written values each format read (column -> format -> count). */
  formatsMatched: Record<string, Record<string, number>>;
  /**
   * float64 columns: written values the double does not hold as the file wrote them (more than 17 significant
   * digits, 19-digit ids under a float64 contract, 1e400): landed as the contract asked, counted so the loss shows.
   */
  valuesRounded: Record<string, number>;
  bytesRead: number;
  /** Header names as found in the file (null without a header row or for an empty file). */
  header: string[] | null;
  reordered: boolean;
}

/** The counts of a decoder that has read nothing yet. */
export function emptyStats(): DecodeStats {
  return {
    ...NO_ROWS,
    formatsMatched: {},
    valuesRounded: {},
    bytesRead: 0,
    header: null,
    reordered: false,
  };
}

export interface DecodeOutput {
  batches: DecodedBatch[];
  rejects: RejectedRecord[];
}

/** Bytes in, column batches and rejects out. The WASM core implements the same interface. */
export interface CsvDecoder {
  push(chunk: Uint8Array): DecodeOutput;
  end(): DecodeOutput;
  readonly stats: DecodeStats;
}

export interface DecoderOptions {
  /** The first batch is cut at the first row ending past this many input bytes... */
  batchBytes?: number;
  /** ...and every later batch has exactly as many rows as the first (so batches map 1:1 to row groups). */
  maxBatchRows?: number;
}

const utf8 = new TextDecoder();

/** The TypeScript implementation: a byte tokenizer feeding typed column builders. */
export class JsCsvDecoder implements CsvDecoder, RecordSink {
  readonly stats: DecodeStats = emptyStats();
  private readonly tok: CsvTokenizer;
  /** Per contract column with several formats, the written values each format read (null: one format). */
  private readonly formatCounts: (number[] | null)[];
  private fieldFormats: (number[] | null)[] = [];
  /** The (field, format) counts this row added, taken back if the row is refused. */
  private rowFormats: number[] = [];
  /** Per contract column, written float64 values the double does not hold (valuesRounded); the row's, to undo. */
  private readonly rounded: number[];
  private readonly rowRounded: number[] = [];
  private readonly builders: ColumnBuilder[];
  /** File field index -> contract column index, and per file field the facts the hot loop needs. */
  private fieldToColumn: number[];
  /** Columns the file's header lacks (schema drift, evolve): null in every row. */
  private missingBuilders: ColumnBuilder[] = [];
  private fieldBuilders: ColumnBuilder[] = [];
  private fieldTrim: boolean[] = [];
  private fieldNullable: boolean[] = [];
  private fieldIsString: boolean[] = [];
  private fieldNumberFormat: (NumberFormat | null)[] = [];
  /** Header records still to read, and the texts of those read (dialect.headerRows). */
  private headerRowsLeft: number;
  private headerTexts: string[][] = [];
  private bom: BomProbe;
  private lines = new Uint32Array(1024);
  private rows = 0;
  private batchRows = 0;
  private readonly batchBytes: number;
  private readonly maxBatchRows: number;
  private out: DecodeOutput = { batches: [], rejects: [] };
  private scratch = new Uint8Array(4096);
  private readonly nullTokens: Uint8Array[];
  private readonly onlyEmptyIsNull: boolean;
  private readonly trailingDelimiter: boolean;
  private readonly quote: number;
  private readonly escape: number;
  /** Input below this offset of the current buffer is known valid UTF-8. */
  private utf8ValidEnd = 0;
  private currentBuf: Uint8Array | null = null;

  constructor(
    private readonly contract: Contract,
    options: DecoderOptions = {},
  ) {
    const d = contract.dialect;
    this.quote = d.quote.charCodeAt(0);
    this.escape = (d.escape ?? d.quote).charCodeAt(0);
    this.tok = new CsvTokenizer(
      {
        delimiter: d.delimiter.charCodeAt(0),
        quote: this.quote,
        escape: this.escape,
        comment: d.comment ? d.comment.charCodeAt(0) : -1,
        maxRecordBytes: d.maxRecordBytes,
        strictQuotes: d.strictQuotes,
        skipLines: d.skipLines,
        skipInitialSpace: d.skipInitialSpace,
      },
      this,
    );
    this.builders = contract.columns.map((c) => createColumnBuilder(c, d.encoding));
    this.formatCounts = contract.columns.map((c) =>
      columnFormats(c).length > 1 ? columnFormats(c).map(() => 0) : null,
    );
    this.rounded = contract.columns.map(() => 0);
    this.fieldToColumn = contract.columns.map((_, i) => i);
    this.mapFields();
    this.headerRowsLeft = d.header ? d.headerRows : 0;
    this.bom = new BomProbe(d.bom === 'keep');
    this.batchBytes = options.batchBytes ?? 16 * 1024 * 1024;
    this.maxBatchRows = options.maxBatchRows ?? 1 << 20;
    const enc = new TextEncoder();
    this.nullTokens = d.nullTokens.map((t) => enc.encode(t));
    this.onlyEmptyIsNull = d.nullTokens.length === 1 && d.nullTokens[0] === '';
    this.trailingDelimiter = d.trailingDelimiter;
  }

  push(chunk: Uint8Array): DecodeOutput {
    this.stats.bytesRead += chunk.length;
    const start = this.bom.take(chunk);
    if (!start) return this.take();
    if (start.bom) this.tok.offset = 3;
    this.tok.push(start.bytes);
    return this.take();
  }

  end(): DecodeOutput {
    const held = this.bom.rest();
    if (held) this.tok.push(held);
    this.tok.end();
    if (this.rows > 0) this.cutBatch();
    return this.take();
  }

  private take(): DecodeOutput {
    if (this.formatCounts.some((c) => c)) this.stats.formatsMatched = formatsMatched(this.contract, this.formatCounts);
    this.stats.valuesRounded = valuesRounded(this.contract, (c) => this.rounded[c]);
    const o = this.out;
    this.out = { batches: [], rejects: [] };
    return o;
  }

  // RecordSink -------------------------------------------------------------

  record(buf: Uint8Array, tok: CsvTokenizer, nf: number, recStart: number, recEnd: number, line: number): void {
    if (buf !== this.currentBuf) this.scanUtf8(buf);
    if (nf === 1 && recEnd === recStart && this.builders.length > 1) {
      this.stats.blankLines++;
      return;
    }
    const blank = isBlankRecord(nf, recStart, recEnd);
    // A delimiter after every record: the empty field after the last one is not a field.
    if (this.trailingDelimiter) nf = withoutTrailingEmpty(tok, nf);
    if (this.headerRowsLeft > 0) {
      this.readHeader(buf, tok, nf);
      return;
    }
    this.stats.rowsRead++;
    // Every field empty (only delimiters: a spreadsheet's trailing ,,,,, lines): counted, not a row of nulls.
    if (blank) {
      this.stats.rowsBlank++;
      return;
    }
    // A stray quote usually causes the wrong field count too: report the cause, not the symptom.
    if (tok.problem === RecordProblem.StrayQuote) {
      const col = this.contract.columns[this.fieldToColumn[tok.problemField]];
      this.reject(
        buf,
        recStart,
        recEnd,
        line,
        col?.name ?? null,
        'stray-quote',
        REJECT_MESSAGES.strayQuote(tok.problemField),
      );
      return;
    }
    if (nf !== this.fieldBuilders.length) {
      this.reject(
        buf,
        recStart,
        recEnd,
        line,
        null,
        'ragged-row',
        REJECT_MESSAGES.ragged(nf, this.fieldBuilders.length),
      );
      return;
    }
    const row = this.rows;
    this.rowFormats.length = 0;
    this.rowRounded.length = 0;
    const starts = tok.starts;
    const ends = tok.ends;
    const kinds = tok.kinds;
    const builders = this.fieldBuilders;
    for (let f = 0; f < nf; f++) {
      const b = builders[f];
      let src = buf;
      let s = starts[f];
      let e = ends[f];
      const kind = kinds[f];
      if (kind === FieldKind.QuotedEscaped) {
        if (this.scratch.length < e - s) this.scratch = new Uint8Array((e - s) * 2);
        const len = unescapeField(buf, s, e, this.quote, this.escape, this.scratch);
        src = this.scratch;
        s = 0;
        e = len;
      }
      if (this.fieldTrim[f]) {
        while (s < e && (src[s] === 32 || src[s] === 9)) s++;
        while (e > s && (src[e - 1] === 32 || src[e - 1] === 9)) e--;
      }
      const isString = this.fieldIsString[f];
      const isNull =
        kind === FieldKind.Plain
          ? this.onlyEmptyIsNull
            ? e === s
            : this.isNullToken(src, s, e)
          : e === s && !isString;
      if (isNull) {
        if (!this.fieldNullable[f]) {
          this.rollback(row);
          this.undoFormats();
          this.reject(buf, recStart, recEnd, line, b.column.name, 'null-not-allowed', REJECT_MESSAGES.nullNotAllowed);
          return;
        }
        b.appendNull();
        continue;
      }
      if (isString) (b as StringBuilder).checkUtf8 = ends[f] > this.utf8ValidEnd;
      const fmt = this.fieldNumberFormat[f];
      const problem = fmt ? b.appendNumber(src, s, e, fmt) : b.append(src, s, e);
      if (problem !== null) {
        this.rollback(row);
        this.undoFormats();
        this.reject(buf, recStart, recEnd, line, b.column.name, problem.reason, problem.message);
        return;
      }
      const counts = this.fieldFormats[f];
      if (counts) {
        const k = (b as unknown as TemporalBuilder).lastFormat;
        counts[k]++;
        this.rowFormats.push(f, k);
      }
      if (b instanceof Float64Builder && b.lastRounded) {
        const c = this.fieldToColumn[f];
        this.rounded[c]++;
        this.rowRounded.push(c);
      }
    }
    for (const b of this.missingBuilders) b.appendNull();
    if (this.rows === this.lines.length) {
      const l = new Uint32Array(this.lines.length * 2);
      l.set(this.lines);
      this.lines = l;
    }
    this.lines[this.rows++] = line;
    this.stats.rowsWritten++;
    if (
      this.batchRows
        ? this.rows === this.batchRows
        : tok.offset + (recEnd - recStart) >= this.batchBytes || this.rows >= this.maxBatchRows
    ) {
      if (!this.batchRows) this.batchRows = this.rows;
      this.cutBatch();
    }
  }

  broken(raw: Uint8Array, line: number, reason: 'unterminated-quote' | 'record-too-large', detail: string): void {
    if (this.headerRowsLeft > 0) throw new BrokenHeaderError(line, detail);
    this.stats.rowsRead++;
    let end = raw.length;
    while (end > 0 && (raw[end - 1] === 10 || raw[end - 1] === 13)) end--;
    this.stats.rowsRejected++;
    this.out.rejects.push({ line, column: null, reason, message: detail, raw: raw.subarray(0, end) });
  }

  comment(): void {
    this.stats.commentLines++;
  }

  preamble(): void {
    this.stats.preambleLines++;
  }

  // -----------------------------------------------------------------------

  /** Batch row count decided by the first batch (0 until then). */
  get rowsPerBatch(): number {
    return this.batchRows;
  }

  private isNullToken(buf: Uint8Array, s: number, e: number): boolean {
    if (this.onlyEmptyIsNull) return e === s;
    const n = e - s;
    for (const t of this.nullTokens) {
      if (t.length !== n) continue;
      let k = 0;
      while (k < n && buf[s + k] === t[k]) k++;
      if (k === n) return true;
    }
    return false;
  }

  private scanUtf8(buf: Uint8Array): void {
    this.currentBuf = buf;
    this.utf8ValidEnd = validUtf8Prefix(buf);
  }

  private readHeader(buf: Uint8Array, tok: CsvTokenizer, nf: number): void {
    const names: string[] = [];
    for (let f = 0; f < nf; f++) {
      let s = tok.starts[f];
      let e = tok.ends[f];
      let src = buf;
      if (tok.kinds[f] === FieldKind.QuotedEscaped) {
        if (this.scratch.length < e - s) this.scratch = new Uint8Array((e - s) * 2);
        e = unescapeField(buf, s, e, this.quote, this.escape, this.scratch);
        s = 0;
        src = this.scratch;
      }
      names.push(utf8.decode(src.subarray(s, e)));
    }
    this.headerTexts.push(names);
    if (--this.headerRowsLeft > 0) return;
    this.takeHeader(fileHeader(this.contract, joinHeaderRows(this.headerTexts)));
  }

  private takeHeader(names: string[]): void {
    this.stats.header = names;
    const m = matchHeader(this.contract, names);
    this.fieldToColumn = m.fieldToColumn;
    this.stats.reordered = m.reordered;
    this.missingBuilders = m.missing.map((c) => this.builders[c]);
    this.mapFields();
  }

  private mapFields(): void {
    this.fieldBuilders = this.fieldToColumn.map((c) => this.builders[c]);
    this.fieldTrim = this.fieldBuilders.map((b) => b.column.trim);
    this.fieldNullable = this.fieldBuilders.map((b) => b.column.nullable);
    this.fieldIsString = this.fieldBuilders.map((b) => b instanceof StringBuilder);
    this.fieldNumberFormat = this.fieldBuilders.map((b) => numberFormatOf(b.column, this.contract.dialect));
    this.fieldFormats = this.fieldToColumn.map((c) => this.formatCounts[c] ?? null);
  }

  private undoFormats(): void {
    for (const c of this.rowRounded) this.rounded[c]--;
    this.rowRounded.length = 0;
    const r = this.rowFormats;
    for (let i = 0; i < r.length; i += 2) this.fieldFormats[r[i]]![r[i + 1]]--;
    r.length = 0;
  }

  private rollback(row: number): void {
    for (const b of this.builders) if (b.length > row) b.truncate(row);
  }

  private reject(
    buf: Uint8Array,
    s: number,
    e: number,
    line: number,
    column: string | null,
    reason: RejectReason,
    message: string,
  ): void {
    this.stats.rowsRejected++;
    this.out.rejects.push({ line, column, reason, message, raw: buf.slice(s, e) });
  }

  private cutBatch(): void {
    const rowCount = this.rows;
    const columns = this.builders.map((b) => b.finish());
    const words = new Uint32Array(rowCount * 2);
    for (let i = 0; i < rowCount; i++) words[i * 2] = this.lines[i];
    const lines = new BigInt64Array(words.buffer);
    this.out.batches.push({
      rowCount,
      columns,
      sourceLines: makeData({ type: new Int64(), length: rowCount, nullCount: 0, data: lines }),
    });
    this.rows = 0;
  }
}

/**
 * The header's names as the contract maps them: with rowNames, an empty name for the first field (R's row names);
 * empty names at the end that no column claims (a header written with a trailing delimiter) are not fields.
 */
export function fileHeader(contract: Contract, names: string[]): string[] {
  const out = contract.dialect.rowNames ? ['', ...names] : [...names];
  const claimed = contract.columns.some((c) => c.header === '' || c.aliases.includes(''));
  while (!claimed && out.length > 1 && out[out.length - 1].trim() === '') out.pop();
  return out;
}

/** The per-format counts of the columns with several formats, by column and format name. */
/** The float64 columns' rounded-value counts, by name, those above zero. */
export function valuesRounded(contract: Contract, count: (c: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  contract.columns.forEach((col, c) => {
    if (col.type !== 'float64') return;
    const n = count(c);
    if (n) out[col.name] = n;
  });
  return out;
}

export function formatsMatched(
  contract: Contract,
  counts: (ArrayLike<number> | null)[],
): DecodeStats['formatsMatched'] {
  const out: DecodeStats['formatsMatched'] = {};
  contract.columns.forEach((c, i) => {
    const n = counts[i];
    if (n) out[c.name] = Object.fromEntries(columnFormats(c).map((f, k) => [f, n[k]]));
  });
  return out;
}

/**
 * Maps the header's fields to contract columns (case and surrounding spaces ignored, any order); throws
 * HeaderMismatchError naming what is missing, unexpected or duplicated.
 */
export interface HeaderMatch {
  /** File field -> contract column. */
  fieldToColumn: number[];
  reordered: boolean;
  /** Contract columns with no field in the file (null in every row; only under schemaDrift: evolve). */
  missing: number[];
}

/**
 * Maps the file's header onto the contract's columns, by name (or `header`, or an alias), in any order.
 * Duplicate names are always refused; extra or missing columns unless the contract evolves (and then only
 * nullable columns may be missing). Extra columns are kept by giving them columns first (`evolveContract`).
 */
export function matchHeader(contract: Contract, names: string[]): HeaderMatch {
  const long = names.findIndex((n) => n.length > MAX_COLUMN_NAME);
  if (long >= 0)
    throw new HeaderMismatchError(
      [],
      [names[long]],
      [],
      ` (header name ${long + 1} is ${names[long].length} characters long; Athena and Glue take column names of at most ${MAX_COLUMN_NAME})`,
    );
  const d = headerDrift(contract, names);
  if (d.duplicates.length || (contract.schemaDrift === 'reject' && (d.missing.length || d.extra.length))) {
    throw new HeaderMismatchError(d.missing, d.extra, d.duplicates);
  }
  const notNullable = d.missing.filter((m) => !contract.columns.find((c) => c.name === m)!.nullable);
  if (notNullable.length || d.extra.length) {
    throw new HeaderMismatchError(
      d.missing,
      d.extra,
      [],
      notNullable.length
        ? ` (${notNullable.join(', ')} cannot be null, so schemaDrift: evolve cannot fill ${notNullable.length > 1 ? 'them' : 'it'})`
        : '',
    );
  }
  const fieldToColumn = d.fieldToColumn;
  const missing = contract.columns.map((_, c) => c).filter((c) => !fieldToColumn.includes(c));
  return { fieldToColumn, reordered: fieldToColumn.some((c, f) => c !== f), missing };
}
