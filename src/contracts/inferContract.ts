// landfall infer: a draft contract from a file's first bytes (and, with --rows all, evidence from every record).
// In order: guessDialect (delimiter, quote, escape), sampleRecords (the sample under that dialect), guessColumn
// (one column's type and format: integers by their digits, floats only when the digits come back, dates and
// timestamps by the formats tried), inferContract itself (encoding, preamble, header rows, footer, types, key,
// the YAML with a comment per decision), then guessNumberFormat (numbers written with separators, currency,
// percent) and the header helpers. Splitting inferContract into steps is issue 34.
import { Document, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { CsvTokenizer, FieldKind, unescapeField, type RecordSink } from '../csv/csvTokenizer.ts';
import { type NumberFormat, normalizeNumber, parseFloat64, sameDigits } from '../csv/numbers.ts';
import { compileTemporalFormat, parseDate, parseTimestampMicros } from '../csv/temporal.ts';
import { joinHeaderRows } from '../csv/headerRows.ts';
import { guessEncoding } from '../csv/transcode.ts';

export interface InferOptions {
  dataset: string;
  fileName: string;
  /** Rows of the sample to look at. */
  maxRows?: number;
}

const utf8 = new TextDecoder();
const enc = new TextEncoder();
const ISO = compileTemporalFormat('iso');

/** Lower snake_case, as contracts (and Athena) want column names. */
export function columnName(header: string, i: number): string {
  const n = header
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!n) return `column_${i + 1}`;
  return /^[0-9]/.test(n) ? `c_${n}` : n;
}

/** Delimiters and quote characters infer considers, in the order ties are settled. */
const DELIMITER_CANDIDATES = [',', ';', '\t', '|', ' '];
const QUOTE_CANDIDATES = ['"', "'"];
/** Records of the sample the dialect is chosen on. */
const DIALECT_SAMPLE_RECORDS = 2000;

/** How records are cut: what the tokenizer needs to read a sample as the decoder will. */
export interface ReadDialect {
  delimiter: string;
  quote: string;
  /** The quote itself (doubled quotes, RFC 4180) or a backslash. */
  escape: string;
  /** Spaces after a delimiter are not part of the next field. */
  skipInitialSpace: boolean;
}

export interface DialectGuess extends ReadDialect {
  /** The number of fields most records have, and how many of the sampled records have it. */
  width: number;
  matching: number;
  records: number;
}

/**
 * The delimiter, quote character and treatment of spaces after delimiters under which the sample reads most
 * consistently (after CleverCSV's data consistency: a pattern score that rewards records of one width with more
 * than one field, times a cell score: the share of cells that are not unquoted text holding a quote character,
 * the mark of a wrong quote or escape). Ties go to the simpler reading (comma, double quote, spaces kept).
 */
export function guessDialect(whole: Uint8Array, complete = true): DialectGuess {
  // The first 256 KB (to a line break) are enough to tell, and ten readings of 16 MB would take seconds.
  const cut = whole.length > 1 << 18 ? whole.lastIndexOf(10, 1 << 18) : -1;
  const sample = cut > 0 ? whole.subarray(0, cut + 1) : whole;
  const final = complete && cut <= 0;
  const candidates: ReadDialect[] = [];
  const text = Buffer.from(sample.buffer, sample.byteOffset, sample.length);
  const delimiters = [...DELIMITER_CANDIDATES, ...otherDelimiters(text)];
  for (const skipInitialSpace of [false, true])
    for (const quote of QUOTE_CANDIDATES)
      for (const delimiter of delimiters) {
        if (skipInitialSpace && delimiter === ' ') continue;
        candidates.push({ delimiter, quote, escape: quote, skipInitialSpace });
        // A backslash before a quote character somewhere: escaping with it is a reading of its own.
        if (text.includes(`\\${quote}`)) candidates.push({ delimiter, quote, escape: '\\', skipInitialSpace });
      }
  let best: (DialectGuess & { score: number }) | null = null;
  for (const d of candidates) {
    const { records, suspicious } = sampleRecords(sample, d, DIALECT_SAMPLE_RECORDS, final);
    if (!records.length) continue;
    const widths = new Map<number, number>();
    for (const r of records) widths.set(r.length, (widths.get(r.length) ?? 0) + 1);
    const pattern = [...widths].reduce((sum, [w, n]) => sum + (n * (w - 1)) / w, 0) / widths.size / records.length;
    const cells = records.reduce((n, r) => n + r.length, 0);
    const score = pattern * (cells ? (cells - suspicious) / cells : 0);
    const width = modalWidth(records);
    if (!best || score > best.score + 1e-9) {
      best = { ...d, width, matching: widths.get(width)!, records: records.length, score };
    }
  }
  if (!best)
    return { delimiter: ',', quote: '"', escape: '"', skipInitialSpace: false, width: 0, matching: 0, records: 0 };
  const { score: _score, ...guess } = best;
  return guess;
}

/**
 * Punctuation other than the usual delimiters that a file may separate its fields with (`:` `^` `~` a backtick ...):
 * those found the same number of times on at least nine in ten of the first 50 lines, at most three.
 */
function otherDelimiters(text: Buffer): string[] {
  const lines = text
    .subarray(0, 1 << 16)
    .toString('latin1')
    .split(/\r?\n|\r/)
    .slice(0, 50)
    .filter(Boolean);
  if (lines.length < 2) return [];
  const found: string[] = [];
  for (const ch of ':^~`#!$%&*+/=@\\') {
    const counts = lines.map((l) => l.split(ch).length - 1);
    const n = counts[0];
    if (n > 0 && counts.filter((c) => c === n).length >= lines.length * 0.9) found.push(ch);
  }
  return found.slice(0, 3);
}

type Row = (string | null)[];

/**
 * Reads the first records of a sample as strings (empty unquoted fields as null), with the physical line each
 * starts on. `final`: the sample is the end of the file, so its last record may lack a line break.
 */
function sampleRecords(
  sample: Uint8Array,
  d: ReadDialect,
  maxRows: number,
  final: boolean,
): { records: Row[]; lines: number[]; suspicious: number } {
  const q = d.quote.charCodeAt(0);
  // Unquoted fields holding a quote character: the mark of a wrong quote or escape (quoted content may hold them).
  let suspicious = 0;
  const esc = d.escape.charCodeAt(0);
  const records: Row[] = [];
  const lines: number[] = [];
  const scratch = new Uint8Array(1 << 16);
  const sink: RecordSink = {
    record(buf, tok, nf, _s, _e, line) {
      if (records.length > maxRows) return;
      const row: Row = [];
      for (let f = 0; f < nf; f++) {
        const s = tok.starts[f];
        const e = tok.ends[f];
        if (tok.kinds[f] === FieldKind.QuotedEscaped) {
          const big = e - s > scratch.length ? new Uint8Array(e - s) : scratch;
          row.push(utf8.decode(big.subarray(0, unescapeField(buf, s, e, q, esc, big))));
        } else {
          row.push(tok.kinds[f] === FieldKind.Plain && e === s ? null : utf8.decode(buf.subarray(s, e)));
        }
        if (tok.kinds[f] === FieldKind.Plain) {
          for (let p = s; p < e; p++) {
            if (buf[p] === 34 || buf[p] === 39) {
              suspicious++;
              break;
            }
          }
        }
      }
      records.push(row);
      lines.push(line);
    },
    broken() {
      /* a sample may end in the middle of a record */
    },
    comment() {
      /* no comments in a draft */
    },
  };
  const tok = new CsvTokenizer(
    {
      delimiter: d.delimiter.charCodeAt(0),
      quote: q,
      escape: esc,
      comment: -1,
      maxRecordBytes: 1 << 30,
      strictQuotes: false,
      skipInitialSpace: d.skipInitialSpace,
    },
    sink,
  );
  const start = sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf ? 3 : 0;
  tok.push(sample.subarray(start));
  if (final) tok.end();
  return { records, lines, suspicious };
}

type Guess = 'boolean' | 'int32' | 'int64' | 'float64' | 'date' | 'timestamp' | 'string';

/**
 * Date and timestamp layouts exports write, tried in this order after ISO 8601: month first before day first (a
 * day over 12 tells them apart), with and without seconds, one-digit hours, then 12-hour clocks and month names.
 */
const TIMESTAMP_PATTERNS = [
  'YYYY-MM-DD H:mm:ss',
  'YYYY-MM-DD H:mm',
  'M/D/YYYY H:mm:ss',
  'M/D/YYYY H:mm',
  'D/M/YYYY H:mm:ss',
  'D/M/YYYY H:mm',
  'YYYY/M/D H:mm:ss',
  'YYYY/M/D H:mm',
  'D.M.YYYY H:mm:ss',
  'D.M.YYYY H:mm',
  // 12-hour clocks (AM/PM in any case) and month names (MMM takes the full name too), as US exports write them.
  'M/D/YYYY h:mm:ss A',
  'M/D/YYYY h:mm A',
  'YYYY-MM-DD h:mm:ss A',
  'D/M/YYYY h:mm:ss A',
  'D-MMM-YYYY H:mm:ss',
  'D MMM YYYY H:mm:ss',
  'D MMM YYYY H:mm',
  'MMM D, YYYY h:mm:ss A',
  'MMM D, YYYY h:mm A',
];
const DATE_PATTERNS = [
  'M/D/YYYY',
  'D/M/YYYY',
  'YYYY/M/D',
  'D.M.YYYY',
  'D-MMM-YYYY',
  'D-MMM-YY',
  'D MMM YYYY',
  'MMM D, YYYY',
  'MMM D YYYY',
];
const COMPILED = new Map([...TIMESTAMP_PATTERNS, ...DATE_PATTERNS].map((f) => [f, compileTemporalFormat(f)]));

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The narrowest type every non-empty sample value parses as. Digit strings with leading zeros stay strings. */
export function guessType(values: string[]): Guess {
  return guessColumn(values).type;
}

/** The type, and for dates and timestamps not in ISO 8601 the format, that every non-empty sample value fits. */
export function guessColumn(values: string[]): { type: Guess; format?: string | string[]; why?: string } {
  if (!values.length) return { type: 'string' };
  const bytes = values.map((v) => enc.encode(v));
  const all = (test: (b: Uint8Array, v: string) => boolean) => bytes.every((b, i) => test(b, values[i]));
  // As exports write booleans (the decoder reads the same): true/false, yes/no, t/f, y/n in any case.
  if (all((_, v) => /^(true|false|yes|no|t|f|y|n)$/i.test(v))) return { type: 'boolean' };
  // Integers by their digits (BigInt), not as a float would hold them: past int64 (uint64 click ids) they stay text.
  if (all((_, v) => /^[+-]?\d+$/.test(v) && !/^[+-]?0\d/.test(v))) {
    const big = values.map((v) => BigInt(v));
    if (big.every((x) => x >= INT64_MIN && x <= INT64_MAX))
      return { type: big.every((x) => x >= -2147483647n && x <= 2147483647n) ? 'int32' : 'int64' };
    return {
      type: 'string',
      why: `integers past int64 (ids, not quantities: kept as text, as written; a float64 would round them)`,
    };
  }
  if (all((b, v) => !/^[+-]?0\d/.test(v) && /[0-9]/.test(v) && !Number.isNaN(parseFloat64(b, 0, b.length)))) {
    // The round trip: a float64 must give back every sampled value's digits, or it would change the value.
    const lost = values.find((v, i) => !sameDigits(v, parseFloat64(bytes[i], 0, bytes[i].length)));
    if (lost === undefined) return { type: 'float64' };
    return { type: 'string', why: `${lost} has more digits than a float64 holds: kept as text, as written` };
  }
  if (all((b) => !Number.isNaN(parseDate(b, 0, b.length, ISO)) && b.length === 10)) return { type: 'date' };
  if (all((b) => !Number.isNaN(parseTimestampMicros(b, 0, b.length, ISO)))) return { type: 'timestamp' };
  for (const format of TIMESTAMP_PATTERNS) {
    const f = COMPILED.get(format)!;
    if (all((b) => !Number.isNaN(parseTimestampMicros(b, 0, b.length, f)))) return { type: 'timestamp', format };
  }
  for (const format of DATE_PATTERNS) {
    const f = COMPILED.get(format)!;
    if (all((b) => !Number.isNaN(parseDate(b, 0, b.length, f)))) return { type: 'date', format };
  }
  return formatsCovering(bytes) ?? { type: 'string' };
}

/** Formats tried together when no one format reads a whole column: dates, then timestamps (dates read as midnight). */
const DATE_CANDIDATES = ['iso', ...DATE_PATTERNS];
const TIMESTAMP_CANDIDATES = ['iso', ...TIMESTAMP_PATTERNS, ...DATE_PATTERNS];
const MAX_FORMATS = 3;

/**
 * A column written in several layouts (a file merged from two exports): the fewest formats, up to three, that read
 * every value between them, each chosen for reading the most values still unread (ties in the order above).
 */
function formatsCovering(bytes: Uint8Array[]): { type: 'date' | 'timestamp'; format: string[] } | null {
  for (const type of ['date', 'timestamp'] as const) {
    const candidates = type === 'date' ? DATE_CANDIDATES : TIMESTAMP_CANDIDATES;
    const reads = (f: string, b: Uint8Array) => {
      const c = f === 'iso' ? ISO : COMPILED.get(f)!;
      return type === 'date'
        ? !Number.isNaN(parseDate(b, 0, b.length, c)) && (f !== 'iso' || b.length === 10)
        : !Number.isNaN(parseTimestampMicros(b, 0, b.length, c));
    };
    // A value no format reads: no list will do.
    if (!candidates.some((f) => reads(f, bytes[0]))) continue;
    let left = bytes.map((_, i) => i);
    const chosen: string[] = [];
    while (left.length && chosen.length < MAX_FORMATS) {
      let best: { f: string; read: Set<number> } | null = null;
      for (const f of candidates) {
        if (chosen.includes(f)) continue;
        const read = new Set(left.filter((i) => reads(f, bytes[i])));
        if (read.size && (!best || read.size > best.read.size)) best = { f, read };
      }
      if (!best) break;
      chosen.push(best.f);
      left = left.filter((i) => !best.read.has(i));
    }
    if (!left.length && chosen.length > 1) return { type, format: chosen };
  }
  return null;
}

/** What infer reads of a file: its first bytes, and for a file larger than that, bytes from its middle and end. */
export interface InferSample {
  /** The file's first bytes (the whole file when `complete`). */
  head: Uint8Array;
  /** The head is the whole file. */
  complete: boolean;
  /**
   * Bytes from further into the file (ranged reads, at even offsets for UTF-16), read from their first line break
   * on: their rows are evidence too.
   */
  middle?: Uint8Array[];
  /** The file's last bytes, when the head does not reach the end, read from their first line break: rows, footer. */
  tail?: Uint8Array | null;
  /** Every record of the file read under a first draft (--rows all): what the columns are decided on instead. */
  evidence?: Evidence;
}

/** One column over a whole file (src/decode/evidence.ts: scanEvidence). */
export interface ColumnEvidence {
  /** The first values, as written. */
  values: string[];
  /** Distinct values the first draft's type refused (up to a thousand). */
  refused: string[];
  empty: number;
  /** Whether every value is distinct (id-like columns; null when not tracked or too many to tell). */
  unique: boolean | null;
}

export interface Evidence {
  /** Records of the table's width after the header (blank ones aside). */
  rows: number;
  blank: number;
  columns: ColumnEvidence[];
}

/** Leading records looked at for a preamble, header rows told apart from data, trailing records for a footer. */
const MAX_PREAMBLE = 20;
const MAX_HEADER_ROWS = 3;
const MAX_FOOTER = 3;
/** Bytes read from the end of a file for its last rows and footer. */
export const TAIL_BYTES = 256 * 1024;
/** A drafted contract raises the reject alarm only for a batch of at least this many records (or all rejected). */
const DRAFT_MIN_ROWS = 100;

const isBlank = (r: Row) => r.every((v) => v === null || v === '');
const filled = (r: Row) => r.filter((v) => v !== null && v !== '').length;

/**
 * A full record one field narrower than the data (a header without the row names' name, or without the trailing
 * delimiter's empty field), or one wider with an empty last name: a header, not a preamble line.
 */
function headerOffByOne(r: Row, width: number): boolean {
  if (width > 2 && r.length === width - 1) return r.every((v) => v !== null && v !== '');
  return r.length === width + 1 && r[width] === null && filled(r) * 2 >= width;
}

/** Whether a value reads as `type` (an integer fits a float column, int32 an int64 one). */
function fits(v: string, type: Guess): boolean {
  const g = guessType([v]);
  return g === type || (type === 'float64' && (g === 'int32' || g === 'int64')) || (type === 'int64' && g === 'int32');
}

/** Per column, the type the values of `rows` share. */
function columnTypes(rows: Row[], width: number): Guess[] {
  return Array.from({ length: width }, (_, i) =>
    guessType(rows.map((r) => r[i]).filter((v): v is string => v !== null && v !== '')),
  );
}

/**
 * Drafts a contract from a sample of a file: dialect (delimiter, quote, spaces after delimiters, preamble lines,
 * header rows, footer lines), column names (snake_case, with the original header kept where it differs), types,
 * nullability, and a key when an `id`-like column is unique in the sample. A draft to review, not a verdict: a
 * sample cannot prove a type or a key. Each decision is commented in the YAML with its evidence.
 */
export function inferContract(input: Uint8Array | InferSample, o: InferOptions): { yaml: string; rowsSampled: number } {
  const raw: InferSample = input instanceof Uint8Array ? { head: input, complete: true } : input;
  // Text in another encoding is read as UTF-8, as ingest will (transcoded, or by the core for Latin-1).
  const encoding = guessEncoding(raw.head);
  const toUtf8 = (b: Uint8Array) =>
    encoding === 'utf-8'
      ? b
      : new TextEncoder().encode(
          new TextDecoder(encoding === 'latin1' ? 'windows-1252' : encoding).decode(b, { stream: true }),
        );
  const fromLineStart = (b: Uint8Array) => b.subarray(b.indexOf(10) + 1 || b.length);
  const sample: InferSample = {
    head: toUtf8(raw.head),
    complete: raw.complete,
    middle: raw.middle?.map((m) => fromLineStart(toUtf8(m))),
    tail: raw.tail ? fromLineStart(toUtf8(raw.tail)) : null,
    evidence: raw.evidence,
  };
  const guess = guessDialect(sample.head, sample.complete);
  const { delimiter, quote, escape: esc, skipInitialSpace } = guess;
  const maxRows = o.maxRows ?? 10_000;
  // The draft claims its own file: its stem, then anything, then its own extension (.txt stays .txt; matching
  // ignores .gz, so x.csv.gz is claimed by x*.csv).
  const unzipped = o.fileName.replace(/\.gz$/i, '');
  const stem = unzipped.replace(/\.[^.]+$/, '');
  const extension = /\.[^.]+$/.exec(unzipped)?.[0].toLowerCase() ?? '';
  const read = { delimiter, quote, escape: esc, skipInitialSpace };
  const limit = maxRows + MAX_PREAMBLE + MAX_HEADER_ROWS;
  const sampled = sampleRecords(sample.head, read, limit, sample.complete);
  // Comment lines: records starting with # that are never as wide as the data (a # in a full-width record is data).
  const hash = (r: Row) => r[0]?.startsWith('#') ?? false;
  const fullWidth = sampled.records.length ? modalWidth(sampled.records) : 0;
  const comment =
    fullWidth > 1 &&
    sampled.records.some(hash) &&
    sampled.records.every((r) => !hash(r) || r.length !== fullWidth) &&
    sampled.records.filter(hash).length < sampled.records.length / 2;
  const keep = sampled.records.map((r) => !(comment && hash(r)));
  const records = sampled.records.filter((_, i) => keep[i]);
  const lines = sampled.lines.filter((_, i) => keep[i]);
  // Records past the rows looked at: the end of the file is then read on its own (the last 256 KB of the head).
  const truncated = records.length > limit;
  /** The draft as YAML, each decision commented with its evidence (`notes`: key -> comment, columns by index). */
  const draft = (
    fields: Record<string, unknown>,
    rows: number,
    notes: { top?: Record<string, string>; columns?: string[] } = {},
  ) => {
    const doc = new Document({
      dataset: o.dataset,
      description: `Drafted by landfall infer from ${rows} rows of ${o.fileName}; review the types, key and quality rules.`,
      match: { patterns: [`${stem}*${extension}`] },
      ...fields,
    });
    for (const [key, note] of Object.entries(notes.top ?? {})) {
      const pair = (doc.contents as YAMLMap).items.find((p) => (p.key as Scalar).value === key);
      if (pair) (pair.key as Scalar).commentBefore = ` ${note}`;
    }
    const cols = doc.get('columns', true) as YAMLSeq | undefined;
    for (const [i, note] of (notes.columns ?? []).entries()) {
      const item = cols?.items[i] as YAMLMap | undefined;
      if (item) item.commentBefore = ` ${note}`;
    }
    return { yaml: doc.toString({ lineWidth: 0, flowCollectionPadding: true }), rowsSampled: rows };
  };
  if (!records.length) {
    // Nothing to learn from: a draft with one text column, to be completed when a file with rows comes.
    return draft(
      {
        columns: [{ name: 'column_1', type: 'string' }],
        quality: { maxRejectRatio: 0.01, minRows: DRAFT_MIN_ROWS },
      },
      0,
      { top: { columns: 'the file is empty: one text column until a file with rows shows more' } },
    );
  }
  let width = modalWidth(records);
  // A preamble: leading records (a title, export notes, a PREAMBLE,,,,, line) narrower than the table or mostly
  // empty, above records that have the table's width.
  let pre = 0;
  if (width > 1) {
    while (
      pre < MAX_PREAMBLE &&
      pre + 1 < records.length &&
      (records[pre].length !== width || filled(records[pre]) * 2 < width) &&
      !headerOffByOne(records[pre], width)
    )
      pre++;
    if (pre === MAX_PREAMBLE || records.slice(pre).every((r) => r.length !== width)) pre = 0;
  }
  const skipLines = pre ? lines[pre] - 1 : 0;
  let table = records.slice(pre);
  // A first record one field narrower or wider than the data, its names mapped all the same: data ending in an
  // empty field the header lacks (a delimiter after every record: trailingDelimiter), one field more in the data
  // than names (R's write.csv row names: rowNames, the first column unnamed), or an empty last name the data lacks
  // (ingest drops it).
  let trailingDelimiter = false;
  let rowNames = false;
  const first = table[0];
  const sameWidth = table.slice(1, maxRows + 1).filter((r) => r.length === width);
  if (first && width > 2 && first.length === width - 1 && first.every((v) => v !== null) && sameWidth.length) {
    if (sameWidth.every((r) => r[width - 1] === null)) {
      trailingDelimiter = true;
      table = table.map((r) => (r.length > 1 && r[r.length - 1] === null ? r.slice(0, -1) : r));
      width--;
    } else {
      rowNames = true;
      table = [[null, ...first], ...table.slice(1)];
    }
  } else if (first && first.length === width + 1 && first[width] === null) {
    table = [first.slice(0, width), ...table.slice(1)];
  }
  const isRow = (r: Row) => r.length === width && !isBlank(r);
  // Header rows: leading records of the table's width whose values, in the columns with a type, fit none of them
  // (a group row above the field names is one too); without typed columns, the first record names the columns.
  const probeTypes = columnTypes(table.slice(MAX_HEADER_ROWS, MAX_HEADER_ROWS + maxRows).filter(isRow), width);
  const headerLike = (r: Row) => {
    const typed = r.flatMap((v, i) => (v !== null && v !== '' && probeTypes[i] !== 'string' ? [[v, i] as const] : []));
    return typed.length > 0 && typed.every(([v, i]) => !fits(v, probeTypes[i]));
  };
  let headerRows = rowNames ? 1 : 0;
  while (
    !rowNames &&
    headerRows < MAX_HEADER_ROWS &&
    headerRows + 1 < table.length &&
    table[headerRows].length === width &&
    headerLike(table[headerRows])
  )
    headerRows++;
  if (headerRows === 0 && table[0].length === width && hasHeader(table[0], table.slice(1, maxRows + 1).filter(isRow)))
    headerRows = 1;
  const header = headerRows > 0;
  const body = table.slice(headerRows);
  // A footer: the last non-blank records, at the end of the file, that are narrower or wider than the table or
  // mostly empty with a value that fits no column's type (a totals line).
  const tail = sample.tail ?? (sample.complete && truncated ? lastLines(sample.head, TAIL_BYTES) : null);
  const endRecords =
    sample.complete && !truncated
      ? body
      : tail
        ? sampleRecords(tail, read, Number.MAX_SAFE_INTEGER, true).records
        : null;
  let footerLines = 0;
  let footerEnd = endRecords?.length ?? 0;
  if (endRecords && width > 1) {
    const tailTypes = columnTypes(endRecords.slice(0, -MAX_FOOTER).filter(isRow).slice(-maxRows), width);
    let i = endRecords.length;
    while (i > 0 && isBlank(endRecords[i - 1])) i--;
    footerEnd = i;
    while (i > 0 && footerLines < MAX_FOOTER) {
      const r = endRecords[i - 1];
      if (isBlank(r)) {
        i--;
        continue;
      }
      const misfit = r.some(
        (v, c) => c < width && v !== null && v !== '' && tailTypes[c] !== 'string' && !fits(v, tailTypes[c]),
      );
      // Narrower (a totals line, a note), or a value that fits no column in a sparse or ragged record; a wider
      // record of good values is a bad row, quarantined, not a footer.
      if (r.length < width || (misfit && (r.length !== width || filled(r) * 2 <= width))) {
        footerLines++;
        i--;
        footerEnd = i;
      } else break;
    }
    if (footerLines && footerEnd === 0) footerLines = 0;
  }
  const endIsBody = endRecords === body;
  const rows = (endIsBody && footerLines ? body.slice(0, footerEnd) : body).slice(0, maxRows);
  const extra = [
    ...(sample.middle ?? []).flatMap((m) => sampleRecords(m, read, maxRows, false).records.slice(1)),
    ...(endRecords && !endIsBody ? endRecords.slice(1, footerLines ? footerEnd : undefined) : []),
  ];
  // Records whose fields are all empty (a spreadsheet's trailing ,,,,, lines) say nothing about types or keys.
  const blank = rows.filter((r) => r.length === width && isBlank(r)).length;
  const data = [...rows, ...extra].filter(isRow);
  const texts = header
    ? joinHeaderRows(table.slice(0, headerRows).map((r) => r.map((h) => h ?? '')))
    : Array.from({ length: width }, () => '');
  const names = headerNames(texts);
  if (rowNames && !names.includes('row_name')) names[0] = 'row_name';
  const notes: string[] = [];
  // With a whole-file scan (--rows all), each column's first values and every value the first draft refused stand
  // in for the sample, and the counts are the file's.
  const ev = sample.evidence && sample.evidence.columns.length === names.length ? sample.evidence : null;
  const valuesOf = (i: number) =>
    ev
      ? [...ev.columns[i].values, ...ev.columns[i].refused]
      : data.map((r) => r[i]).filter((v): v is string => v !== null);
  const seen = ev ? ev.rows : data.length;
  const numbers = guessNumberFormat(names.map((_, i) => valuesOf(i)));
  const columns = names.map((name, i) => {
    const values = valuesOf(i);
    const empty = ev ? ev.columns[i].empty : data.length - values.length;
    const filledCount = seen - empty;
    const col: Record<string, unknown> = { name };
    if (header && name !== texts[i]) col.header = texts[i];
    const written = numbers.columns[i];
    const guess = written ? { type: written.type } : guessColumn(values);
    col.type = guess.type;
    if ('format' in guess && guess.format) col.format = guess.format;
    if (written?.currency) col.currency = written.currency;
    if (written?.percent) col.percent = true;
    if (empty === 0 && seen > 0) col.nullable = false;
    const what = ev ? 'values' : 'sampled values';
    const evidence = !values.length
      ? 'no value in the sample'
      : 'why' in guess && guess.why
        ? guess.why
        : guess.type === 'string'
          ? `no narrower type fits all ${filledCount} non-empty ${what}`
          : `all ${filledCount} non-empty ${what} fit`;
    const how =
      'format' in guess && guess.format
        ? ` (${[guess.format].flat().join(' or ')})`
        : written
          ? ` (${written.how})`
          : '';
    notes.push(`${name}: ${guess.type}${how}: ${evidence}${empty ? `; ${empty} of ${seen} empty` : ''}`);
    return col;
  });
  const unique = (i: number) =>
    ev
      ? ev.columns[i].unique === true && ev.columns[i].empty === 0
      : new Set(data.map((r) => r[i])).size === data.length && data.every((r) => r[i] !== null);
  const keyIndex = names.findIndex((n, i) => (n === 'id' || n.endsWith('_id')) && unique(i));
  const dialect = {
    ...(encoding !== 'utf-8' ? { encoding } : {}),
    ...(delimiter !== ',' ? { delimiter } : {}),
    ...(quote !== '"' ? { quote } : {}),
    ...(quote !== '"' || esc !== quote ? { escape: esc } : {}),
    ...(skipInitialSpace ? { skipInitialSpace } : {}),
    ...(comment ? { comment: '#' } : {}),
    ...(trailingDelimiter ? { trailingDelimiter } : {}),
    ...(rowNames ? { rowNames } : {}),
    ...(numbers.decimal !== '.' ? { decimalSeparator: numbers.decimal } : {}),
    ...(numbers.thousands ? { thousandsSeparator: numbers.thousands } : {}),
    ...(skipLines ? { skipLines } : {}),
    ...(header ? {} : { header: false }),
    ...(headerRows > 1 ? { headerRows } : {}),
    ...(footerLines ? { footerLines } : {}),
  };
  const parsed = records.filter((r) => r.length === width).length;
  const said = [
    ...(encoding === 'utf-8'
      ? []
      : [
          encoding.startsWith('utf-16')
            ? `encoding ${encoding}: ${raw.head[0] === 0xff || raw.head[0] === 0xfe ? 'its byte-order mark' : 'a zero byte on every other position'}`
            : `encoding ${encoding}: not valid UTF-8${encoding === 'windows-1252' ? ', with bytes 0x80-0x9F (€ ‚ „ " … in Windows-1252)' : ''}`,
        ]),
    `delimiter ${JSON.stringify(delimiter)}${quote !== '"' ? `, quote ${JSON.stringify(quote)}` : ''}${esc !== quote ? `, escape ${JSON.stringify(esc)}` : ''}: ${width} fields in ${parsed} of ${records.length} sampled records`,
    ...(skipInitialSpace ? ['fields after a delimiter start with a space: skipped (skipInitialSpace)'] : []),
    ...(comment ? ['lines starting with # are narrower than the data: comments'] : []),
    ...(trailingDelimiter
      ? [`every record ends with a delimiter: the empty field after it is not a column (the header has ${width})`]
      : []),
    ...(rowNames ? ['the header names every field but the first (row names, as R writes them): row_name'] : []),
    ...(skipLines
      ? [`${skipLines} line${skipLines > 1 ? 's' : ''} above the table (narrower or mostly empty): skipped`]
      : []),
    headerRows > 1
      ? `the first ${headerRows} records name the columns (their texts joined; none fits the typed columns)`
      : header
        ? 'the first record names the columns'
        : 'no header: the first record reads like the data (its values fit the typed columns, or it is empty where they are not)',
    ...(footerLines
      ? [
          `${footerLines} line${footerLines > 1 ? 's' : ''} at the end (narrower, or a value that fits no column): left out as a footer`,
        ]
      : !endRecords
        ? ['the end of the file was not read (gzip larger than the sample): no footer looked for']
        : []),
  ].join('; ');
  return draft(
    {
      ...(Object.keys(dialect).length ? { dialect } : {}),
      columns,
      ...(keyIndex >= 0 ? { key: [names[keyIndex]] } : {}),
      quality: { maxRejectRatio: 0.01, minRows: DRAFT_MIN_ROWS },
    },
    seen,
    {
      top: {
        ...(Object.keys(dialect).length ? { dialect: said } : {}),
        columns: `${Object.keys(dialect).length ? '' : `${said}; `}${ev ? `all ${seen} records read` : `${data.length} records sampled`}${
          (ev ? ev.blank : blank)
            ? `; ${ev ? ev.blank : blank} blank records (every field empty) left out of the evidence`
            : ''
        }${extra.length ? `; ${extra.length} of them from the middle and end of the file` : ''}`,
        ...(keyIndex >= 0
          ? {
              key: `${names[keyIndex]} is unique and never empty in the ${seen} ${ev ? 'records of the file' : 'sampled records'}`,
            }
          : {}),
        quality: `the reject alarm needs ${DRAFT_MIN_ROWS} records before a ratio means anything (or every record rejected)`,
      },
      columns: notes,
    },
  );
}

/** Separators of numbers a file may use, tried in this order after plain numbers (1234.56). */
const NUMBER_SEPARATORS: { decimal: '.' | ','; thousands?: '.' | ',' | ' ' | "'" }[] = [
  { decimal: '.' },
  { decimal: '.', thousands: ',' },
  { decimal: ',' },
  { decimal: ',', thousands: '.' },
  { decimal: ',', thousands: ' ' },
  { decimal: '.', thousands: ' ' },
  { decimal: '.', thousands: "'" },
];

interface WrittenNumbers {
  type: Guess;
  currency?: string;
  percent: boolean;
  /** How the values are written, for the draft's comment. */
  how: string;
}

/**
 * Numbers as exports write them: the file's decimal and thousands separators, and per column a currency symbol
 * before or after the number and percent signs. The separators are the ones under which the most text columns read
 * as numbers, provided every column that reads as numbers as plain text keeps the same values (`1.500` is never
 * read as 1500). Returns the separators and, per column, how a text column reads as numbers (null: as it is).
 */
export function guessNumberFormat(columns: string[][]): {
  decimal: '.' | ',';
  thousands?: '.' | ',' | ' ' | "'";
  columns: (WrittenNumbers | null)[];
} {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const guesses = columns.map((values) => guessColumn(values));
  const types = guesses.map((g) => g.type);
  const plain = columns.map((values, i) =>
    values.length && /^(int32|int64|float64)$/.test(types[i]) ? values.map((v) => Number(v)) : null,
  );
  // Text columns that may be numbers written otherwise; codes with leading zeros (zip codes) stay text.
  const candidate = columns.map(
    (values, i) =>
      types[i] === 'string' &&
      !guesses[i].why && // numbers kept as text on purpose (past int64, or digits a float64 would lose)
      values.some((v) => /\d/.test(v)) &&
      !values.some((v) => /(^|[^\d.,])0\d/.test(v.trim())),
  );
  const read = (values: string[], fmt: NumberFormat): number[] | null => {
    const out = new Uint8Array(256);
    const nums: number[] = [];
    for (const v of values) {
      const b = enc.encode(v);
      if (b.length > 200) return null;
      const n = normalizeNumber(b, 0, b.length, fmt, out);
      if (n <= 0) return null;
      const x = parseFloat64(out, 0, n);
      // The round trip: the number must give back the written digits (a 20-digit id as a float would not).
      if (Number.isNaN(x) || !sameDigits(dec.decode(out.subarray(0, n)), x)) return null;
      nums.push(x);
    }
    return nums;
  };
  let best: { sep: (typeof NUMBER_SEPARATORS)[number]; columns: (WrittenNumbers | null)[]; count: number } | null =
    null;
  for (const sep of NUMBER_SEPARATORS) {
    const base = {
      decimal: sep.decimal.charCodeAt(0),
      thousands: sep.thousands ? sep.thousands.charCodeAt(0) : -1,
      currency: null,
      percent: false,
    };
    // Columns of plain numbers must keep their values under these separators.
    if (
      plain.some((p, i) => {
        if (!p) return false;
        const again = read(columns[i], base);
        return !again || again.some((x, k) => !Object.is(x, p[k]));
      })
    )
      continue;
    const found = columns.map((values, i): WrittenNumbers | null => {
      if (!candidate[i]) return null;
      const percent = values.every((v) => /%\s*$/.test(v));
      const affix = currencyOf(values);
      const fmt = { ...base, currency: affix ? enc.encode(affix) : null, percent };
      const nums = read(values, fmt);
      if (!nums) return null;
      const type: Guess =
        percent || nums.some((x) => !Number.isInteger(x))
          ? 'float64'
          : nums.every((x) => Math.abs(x) <= 2147483647)
            ? 'int32'
            : 'int64';
      const how = [
        ...(sep.decimal !== '.' || nums.some((x) => !Number.isInteger(x)) ? [`decimal "${sep.decimal}"`] : []),
        ...(sep.thousands ? [`thousands "${sep.thousands}"`] : []),
        ...(affix ? [`currency "${affix}"`] : []),
        ...(percent ? ['percent'] : []),
      ].join(', ');
      return { type, ...(affix ? { currency: affix } : {}), percent, how };
    });
    const count = found.filter(Boolean).length;
    if (!best || count > best.count) best = { sep, columns: found, count };
  }
  if (!best || best.count === 0) return { decimal: '.', columns: columns.map(() => null) };
  return {
    decimal: best.sep.decimal,
    ...(best.sep.thousands ? { thousands: best.sep.thousands } : {}),
    columns: best.columns,
  };
}

/**
 * A currency every value of a column writes before or after its number, if any: a currency sign with up to two
 * capitals before it (`$`, `€`, `R$`, `US$`), or an ISO code (`USD`, `EUR`) set apart by a space, so that codes such
 * as `A100` or `SKU123` are never taken for money.
 */
function currencyOf(values: string[]): string | undefined {
  const affix = (v: string) => {
    const t = v.trim().replace(/^[+-]\s*/, '');
    const m =
      /^([A-Z]{0,2}\p{Sc})\s*[-+]?\s*\d/u.exec(t) ??
      /\d\s*([A-Z]{0,2}\p{Sc})$/u.exec(t) ??
      /^([A-Z]{3})\s+[-+]?\s*\d/.exec(t) ??
      /\d\s+([A-Z]{3})$/.exec(t);
    return m?.[1];
  };
  const first = affix(values[0]);
  return first && values.every((v) => affix(v) === first) ? first : undefined;
}

/** The last `bytes` of `buf`, from a line start. */
function lastLines(buf: Uint8Array, bytes: number): Uint8Array {
  if (buf.length <= bytes) return buf;
  const from = buf.indexOf(10, buf.length - bytes);
  return from < 0 ? buf.subarray(buf.length) : buf.subarray(from + 1);
}

/** The longest identifier a contract accepts for a column name. */
const MAX_NAME = 128;

/**
 * Column names from the header's texts: snake_case; `column_<n>` where a text is empty or too long for a name;
 * a repeated name gets the column's number. The original text is kept as `header` by the caller.
 */
export function headerNames(texts: string[]): string[] {
  const names = texts.map((h, i) => {
    const n = columnName(h, i);
    return n.length > MAX_NAME ? `column_${i + 1}` : n;
  });
  const seen = new Set<string>();
  return names.map((n, i) => {
    const unique = seen.has(n) ? `${n}_${i + 1}` : n;
    seen.add(unique);
    return unique;
  });
}

/** The number of fields most records have. */
function modalWidth(records: (string | null)[][]): number {
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0][0];
}

/**
 * Whether the first record names the columns rather than holding data: it does unless, in the columns whose data
 * has a type other than text, its values mostly parse as that type too (a file of numbers and dates without a
 * header), or it has empty cells where every data row has values. Text-only files are taken to have a header.
 */
export function hasHeader(first: (string | null)[], data: (string | null)[][]): boolean {
  if (!data.length) return first.every((v) => v !== null);
  let typed = 0;
  let alike = 0;
  for (let i = 0; i < first.length; i++) {
    const values = data.map((r) => r[i]).filter((v): v is string => v !== null);
    const type = guessType(values);
    if (type === 'string') continue;
    typed++;
    const v = first[i];
    if (v === null || guessType([v]) === type || (type === 'float64' && /^(int32|int64)$/.test(guessType([v]))))
      alike++;
  }
  return typed === 0 || alike * 2 < typed;
}
