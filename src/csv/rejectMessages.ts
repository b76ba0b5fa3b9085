/** Reject messages, one place for the reference decoder, its tokenizer and the WASM core's wrapper, so that all say the same. */
export const REJECT_MESSAGES = {
  strayQuote: (field: number) =>
    `field ${field + 1} has a quote inside an unquoted field or text after a closing quote`,
  ragged: (fields: number, columns: number) =>
    `has ${fields} field${fields === 1 ? '' : 's'}, the contract has ${columns} columns`,
  nullNotAllowed: 'is empty but the column is not nullable',
  unterminated: (field: number) => `quoted field ${field + 1} is never closed`,
  overlongRecord: (max: number) => `record is larger than dialect.maxRecordBytes (${max} bytes)`,
  overlongLine: (bytes: number, max: number, kept: number) =>
    `line of ${bytes} bytes is larger than dialect.maxRecordBytes (${max}); its first ${kept} bytes are kept here`,
};

/** Characters of a user's text (a header name, a value) quoted back in a message, a manifest, an alarm or a page. */
export const QUOTED_CHARS = 200;

/** Names of one list (header names, drift entries) quoted back; the rest are counted. */
export const QUOTED_NAMES = 20;

/** `text` as it is quoted back to users: cut at QUOTED_CHARS, saying how long it was. */
export function bounded(text: string, max = QUOTED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** Athena's and Glue's longest column name: a header name past it cannot become a column, and the file is refused. */
export const MAX_COLUMN_NAME = 255;

/**
 * Bytes of an oversized line kept in quarantine: enough to see what went wrong; the whole line stays in the
 * source object (its line number is in the reject). Keeps a gzip bomb's one endless line from costing memory.
 */
export const QUARANTINE_HEAD_BYTES = 1024 * 1024;

/** Index of the first CR or LF in `buf`, or -1 (native searches, not a per-byte callback). */
export function lineBreakIndex(buf: Uint8Array): number {
  const lf = buf.indexOf(10);
  const cr = buf.indexOf(13);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

/**
 * The index just after the line break at `b` (CR, LF or CR LF), or -1 when `b` is a CR at the end of the bytes so
 * far and more may follow (an LF in the next chunk belongs to the same break).
 */
export function afterLineBreak(buf: Uint8Array, b: number, final: boolean): number {
  if (buf[b] !== 13) return b + 1;
  if (b + 1 < buf.length) return buf[b + 1] === 10 ? b + 2 : b + 1;
  return final ? b + 1 : -1;
}

/** An oversized line being skipped to its end: its head is quarantined, or nothing when it is a comment. */
export interface SkippedLine {
  head: Uint8Array;
  /** Bytes skipped so far, the line break included once reached. */
  bytes: number;
  line: number;
  comment: boolean;
}

/**
 * What to do with a record over `maxRecordBytes` that starts at `bytes[0]` (complete, or still arriving), decided
 * by its first line alone so that every chunking gives the same rejects, in both decoders: a line over the limit is
 * skipped to its end keeping its first bytes (nothing of a comment line); a shorter first line of a longer record
 * is quarantined whole and reading goes on at the next line; a first line ending in a CR that may be half of a
 * CR LF waits for the next chunk.
 */
export function overlongStart(
  bytes: Uint8Array,
  maxRecordBytes: number,
  comment: number,
  line: number,
  final: boolean,
): { skip: SkippedLine } | 'wait' | 'drop-line' {
  const lineEnd = lineBreakIndex(bytes);
  if (lineEnd < 0 || lineEnd > maxRecordBytes) {
    const isComment = bytes[0] === comment;
    const head = bytes.slice(0, isComment ? 0 : Math.min(maxRecordBytes, QUARANTINE_HEAD_BYTES));
    return { skip: { head, bytes: 0, line, comment: isComment } };
  }
  return afterLineBreak(bytes, lineEnd, final) < 0 ? 'wait' : 'drop-line';
}

/**
 * Skipping a line: how many of `bytes` belong to it (`upTo`) and whether its line break is among them (`done`). A CR
 * at the end of the bytes so far is left for the next chunk, which shows whether an LF follows it.
 */
export function skipLine(bytes: Uint8Array, final: boolean): { upTo: number; done: boolean } {
  const b = lineBreakIndex(bytes);
  const e = b < 0 ? bytes.length : afterLineBreak(bytes, b, final);
  if (e < 0 || (b < 0 && !final)) return { upTo: b < 0 ? bytes.length : b, done: false };
  return { upTo: e, done: true };
}
