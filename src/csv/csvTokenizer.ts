/**
 * RFC 4180 tokenizer over bytes. It finds records and field boundaries and hands each complete record to
 * a sink; it never decodes text. Records may span chunks: the unfinished tail is carried to the next push.
 */
import { lineBreakIndex, overlongStart, REJECT_MESSAGES, type SkippedLine, skipLine } from './rejectMessages.ts';

export const enum FieldKind {
  Plain = 0,
  /** Quoted, no escapes: [start, end) is the content between the quotes. */
  Quoted = 1,
  /** Quoted with doubled quotes or escape characters inside: must be unescaped. */
  QuotedEscaped = 2,
}

export const enum RecordProblem {
  None = 0,
  /** Text after a closing quote, or a quote inside an unquoted field. */
  StrayQuote = 1,
}

export interface TokenizerDialect {
  delimiter: number;
  quote: number;
  /** Equal to `quote` for doubled-quote escaping. */
  escape: number;
  /** -1 when comments are not enabled. */
  comment: number;
  maxRecordBytes: number;
  strictQuotes: boolean;
  /** Physical lines skipped before anything is read (a preamble above the header). */
  skipLines?: number;
  /** Spaces after a delimiter are not part of the next field (`a, "b, c"`). */
  skipInitialSpace?: boolean;
}

export interface RecordSink {
  /** One record; fields are in `tok.starts/ends/kinds[0..fieldCount)`; `line` is its first physical line. */
  record(buf: Uint8Array, tok: CsvTokenizer, fieldCount: number, recStart: number, recEnd: number, line: number): void;
  /** Bytes that cannot form a record (an unterminated quote, an oversized record): quarantined as they are. */
  broken(raw: Uint8Array, line: number, reason: 'unterminated-quote' | 'record-too-large', detail: string): void;
  /** A comment line, skipped. */
  comment(line: number): void;
  /** A line of the preamble (dialect.skipLines), skipped. */
  preamble?(line: number): void;
}

const LF = 10;
const CR = 13;
/** parseRecord: the record is longer than maxRecordBytes (see dropOverlong). */
const OVERLONG = -2;

export class CsvTokenizer {
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  kinds = new Uint8Array(256);
  problem: RecordProblem = RecordProblem.None;
  /** Field index of the first problem of the current record. */
  problemField = -1;

  /** Physical line number of the next record's first byte (1-based). */
  line = 1;
  /** Absolute offset in the file of the next unconsumed byte. */
  offset = 0;
  private pending: Uint8Array | null = null;
  /** Do not rescan an unfinished record until the carried bytes have doubled (keeps huge fields linear). */
  private rescanAt = 0;
  /** An oversized line being skipped up to its line break: its first bytes are kept for quarantine. */
  /** An oversized line being skipped to its end. */
  private skipping: SkippedLine | null = null;
  /** Preamble lines still to skip. */
  preambleLeft: number;
  private readonly skipSpace: boolean;

  constructor(
    private readonly d: TokenizerDialect,
    private readonly sink: RecordSink,
  ) {
    this.preambleLeft = d.skipLines ?? 0;
    this.skipSpace = d.skipInitialSpace ?? false;
  }

  /** Feeds bytes; complete records go to the sink. */
  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.pending) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
      this.pending = null;
    }
    if (buf.length < this.rescanAt) {
      this.pending = buf;
      return;
    }
    this.consume(buf, false);
  }

  /** End of input: the last record may lack its line break. */
  end(): void {
    const buf = this.pending ?? new Uint8Array(0);
    this.pending = null;
    this.consume(buf, true);
  }

  /** Bytes carried over, not yet part of a complete record. */
  get carried(): number {
    return this.pending?.length ?? 0;
  }

  private consume(buf: Uint8Array, final: boolean): void {
    if (this.skipping) {
      buf = this.skip(buf, final);
      if (this.skipping) return;
    }
    let p = 0;
    const n = buf.length;
    let overlong = false;
    while (p < n) {
      const next = this.parseRecord(buf, p, final);
      if (next === OVERLONG) overlong = true;
      if (next < 0) break;
      this.offset += next - p;
      p = next;
    }
    if (p < n) {
      const rest = buf.slice(p);
      // A CR at the end may be the record's own line break (waiting for a possible LF): it does not count.
      const length = rest.length - (rest[rest.length - 1] === CR ? 1 : 0);
      if (overlong || (!final && length > this.d.maxRecordBytes)) {
        this.dropOverlong(rest, final);
        return;
      }
      this.pending = rest;
      this.rescanAt = rest.length * 2;
    } else {
      this.rescanAt = 0;
    }
  }

  /**
   * `rest` starts with a record over maxRecordBytes (complete, or still arriving): its first physical line is
   * quarantined and reading goes on at the next line, decided by that line alone so that any chunking gives the
   * same rejects. A line over the limit keeps its first bytes and is skipped to its end; a shorter first line of a
   * longer record (a quoted field with line breaks) is quarantined whole.
   */
  private dropOverlong(rest: Uint8Array, final: boolean): void {
    const start = overlongStart(rest, this.d.maxRecordBytes, this.d.comment, this.line, final);
    if (start === 'wait') {
      this.pending = rest;
      this.rescanAt = 0;
      return;
    }
    if (start !== 'drop-line') {
      this.skipping = start.skip;
      this.consume(rest, final);
      return;
    }
    const skipped = this.dropFirstLine(rest, 'record-too-large', REJECT_MESSAGES.overlongRecord(this.d.maxRecordBytes));
    this.offset += skipped;
    if (skipped < rest.length) this.consume(rest.subarray(skipped), final);
  }

  /**
   * Skips bytes of an oversized line up to and including its line break; returns what follows it. A CR at the end
   * of the bytes so far is kept (carried) until the next chunk shows whether an LF follows it.
   */
  private skip(buf: Uint8Array, final: boolean): Uint8Array {
    const s = this.skipping!;
    const { upTo, done } = skipLine(buf, final);
    s.bytes += upTo;
    this.offset += upTo;
    if (!done) {
      if (upTo < buf.length) this.pending = buf.slice(upTo);
      return buf.subarray(buf.length);
    }
    this.skipping = null;
    this.line++;
    if (s.comment) this.sink.comment(s.line);
    else
      this.sink.broken(
        s.head,
        s.line,
        'record-too-large',
        REJECT_MESSAGES.overlongLine(s.bytes, this.d.maxRecordBytes, s.head.length),
      );
    return buf.subarray(upTo);
  }

  /**
   * Quarantines the first physical line of `buf` (or all of it when it has no line break) and returns
   * how many bytes were consumed. Parsing resumes on the next line, so the rows after one broken quote survive.
   */
  private dropFirstLine(buf: Uint8Array, reason: 'unterminated-quote' | 'record-too-large', detail: string): number {
    let e = lineBreakIndex(buf);
    if (e < 0) e = buf.length;
    if (e < buf.length) e += buf[e] === CR && buf[e + 1] === LF ? 2 : 1;
    this.sink.broken(buf.slice(0, e), this.line, reason, detail);
    this.line++;
    return e;
  }

  /**
   * Parses one record starting at `p`; returns the offset after it, -1 when it is not complete yet, or OVERLONG
   * (nothing consumed) when it is longer than maxRecordBytes.
   */
  private parseRecord(buf: Uint8Array, recStart: number, final: boolean): number {
    const n = buf.length;
    const D = this.d.delimiter;
    const Q = this.d.quote;
    const E = this.d.escape;
    let p = recStart;
    let newlines = 0;
    let nf = 0;
    this.problem = RecordProblem.None;
    this.problemField = -1;

    if (this.preambleLeft > 0 || buf[p] === this.d.comment) {
      while (p < n && buf[p] !== LF && buf[p] !== CR) p++;
      if (p === n && !final) return -1;
      if (p < n) {
        if (buf[p] === CR && p + 1 === n && !final) return -1;
        p += buf[p] === CR && buf[p + 1] === LF ? 2 : 1;
      }
      if (this.preambleLeft > 0) {
        this.preambleLeft--;
        this.sink.preamble?.(this.line);
      } else {
        this.sink.comment(this.line);
      }
      this.line++;
      return p;
    }

    for (;;) {
      if (nf === this.starts.length) this.growFields();
      const fs = p;
      if (p < n && buf[p] === Q) {
        p++;
        const s = p;
        let escaped = false;
        let inner = 0;
        for (;;) {
          if (p >= n) {
            if (!final) return -1;
            // What is left is longer than a record may be: over the limit, as it would be found while streaming.
            if (n - recStart > this.d.maxRecordBytes) return OVERLONG;
            const dropped = this.dropFirstLine(
              buf.subarray(recStart),
              'unterminated-quote',
              REJECT_MESSAGES.unterminated(nf),
            );
            return recStart + dropped;
          }
          const c = buf[p];
          if (c === Q) {
            if (E === Q) {
              if (p + 1 >= n && !final) return -1;
              if (buf[p + 1] === Q) {
                escaped = true;
                p += 2;
                continue;
              }
            }
            break;
          }
          if (c === E) {
            if (p + 1 >= n && !final) return -1;
            escaped = true;
            p += 2;
            continue;
          }
          if (c === LF || (c === CR && buf[p + 1] !== LF)) inner++;
          p++;
        }
        newlines += inner;
        this.starts[nf] = s;
        this.ends[nf] = p;
        this.kinds[nf] = escaped ? FieldKind.QuotedEscaped : FieldKind.Quoted;
        p++;
        if (p < n && buf[p] !== D && buf[p] !== LF && buf[p] !== CR) {
          if (this.problem === RecordProblem.None) {
            this.problem = RecordProblem.StrayQuote;
            this.problemField = nf;
          }
          while (p < n && buf[p] !== D && buf[p] !== LF && buf[p] !== CR) p++;
          this.starts[nf] = fs;
          this.ends[nf] = p;
          this.kinds[nf] = FieldKind.Plain;
        }
      } else {
        while (p < n) {
          const c = buf[p];
          if (c === D || c === LF || c === CR) break;
          if (c === Q && this.d.strictQuotes && this.problem === RecordProblem.None) {
            this.problem = RecordProblem.StrayQuote;
            this.problemField = nf;
          }
          p++;
        }
        this.starts[nf] = fs;
        this.ends[nf] = p;
        this.kinds[nf] = FieldKind.Plain;
      }
      nf++;
      if (p >= n) {
        if (!final) return -1;
        if (p - recStart > this.d.maxRecordBytes) return OVERLONG;
        this.sink.record(buf, this, nf, recStart, p, this.line);
        this.line += newlines;
        return p;
      }
      const c = buf[p];
      if (c === D) {
        p++;
        if (this.skipSpace) while (p < n && buf[p] === 32) p++;
        continue;
      }
      const recEnd = p;
      if (c === LF) {
        p++;
      } else {
        if (p + 1 >= n && !final) return -1;
        p += buf[p + 1] === LF ? 2 : 1;
      }
      if (recEnd - recStart > this.d.maxRecordBytes) return OVERLONG;
      this.sink.record(buf, this, nf, recStart, recEnd, this.line);
      this.line += newlines + 1;
      return p;
    }
  }

  private growFields(): void {
    const size = this.starts.length * 2;
    const s = new Int32Array(size);
    s.set(this.starts);
    this.starts = s;
    const e = new Int32Array(size);
    e.set(this.ends);
    this.ends = e;
    const k = new Uint8Array(size);
    k.set(this.kinds);
    this.kinds = k;
  }
}

/** A record of only delimiters (every field empty and unquoted: a spreadsheet's trailing ,,,,, lines). */
export function isBlankRecord(fieldCount: number, recStart: number, recEnd: number): boolean {
  return fieldCount > 1 && recEnd - recStart === fieldCount - 1;
}

/** The field count without an empty, unquoted last field: a record ended by a delimiter (dialect.trailingDelimiter). */
export function withoutTrailingEmpty(tok: CsvTokenizer, fieldCount: number): number {
  const last = fieldCount - 1;
  return fieldCount > 1 && tok.kinds[last] === FieldKind.Plain && tok.starts[last] === tok.ends[last]
    ? last
    : fieldCount;
}

/** Copies a quoted field's content without its escapes into `out`; returns the length. */
export function unescapeField(
  buf: Uint8Array,
  s: number,
  e: number,
  quote: number,
  esc: number,
  out: Uint8Array,
): number {
  let o = 0;
  for (let p = s; p < e; p++) {
    const c = buf[p];
    if ((c === esc || c === quote) && p + 1 < e) {
      out[o++] = buf[++p];
    } else {
      out[o++] = c;
    }
  }
  return o;
}
