import { Document, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { CsvTokenizer, FieldKind, unescapeField, type RecordSink } from '../csv/csvTokenizer.ts';
import { parseFloat64, parseInteger } from '../csv/numbers.ts';
import { compileTemporalFormat, parseDate, parseTimestampMicros } from '../csv/temporal.ts';

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

export interface DialectGuess {
  delimiter: string;
  quote: string;
  /** The number of fields most records have, and how many of the sampled records have it. */
  width: number;
  matching: number;
  records: number;
}

/**
 * The delimiter and quote character under which the sample reads most consistently (after CleverCSV's data
 * consistency: a pattern score that rewards records of one width with more than one field, times a type score:
 * the share of cells that are empty, numbers, dates or text with no stray quote character in it).
 */
export function guessDialect(whole: Uint8Array): DialectGuess {
  // The first 256 KB (to a line break) are enough to tell, and ten readings of 16 MB would take seconds.
  const cut = whole.length > 1 << 18 ? whole.lastIndexOf(10, 1 << 18) : -1;
  const sample = cut > 0 ? whole.subarray(0, cut + 1) : whole;
  let best: (DialectGuess & { score: number }) | null = null;
  for (const quote of QUOTE_CANDIDATES) {
    for (const delimiter of DELIMITER_CANDIDATES) {
      const records = sampleRecords(sample, delimiter, DIALECT_SAMPLE_RECORDS, quote);
      if (!records.length) continue;
      const widths = new Map<number, number>();
      for (const r of records) widths.set(r.length, (widths.get(r.length) ?? 0) + 1);
      const pattern = [...widths].reduce((sum, [w, n]) => sum + (n * (w - 1)) / w, 0) / widths.size / records.length;
      let cells = 0;
      let known = 0;
      for (const r of records) {
        for (const v of r) {
          cells++;
          if (v === null || !/['"]/.test(v) || guessType([v]) !== 'string') known++;
        }
      }
      const score = pattern * (cells ? known / cells : 0);
      const width = modalWidth(records);
      if (!best || score > best.score + 1e-9) {
        best = { delimiter, quote, width, matching: widths.get(width)!, records: records.length, score };
      }
    }
  }
  if (!best) return { delimiter: ',', quote: '"', width: 0, matching: 0, records: 0 };
  const { score: _score, ...guess } = best;
  return guess;
}

/** Reads the first records of a sample as strings (empty unquoted fields as null). */
function sampleRecords(sample: Uint8Array, delimiter: string, maxRows: number, quote = '"'): (string | null)[][] {
  const q = quote.charCodeAt(0);
  const records: (string | null)[][] = [];
  const scratch = new Uint8Array(1 << 16);
  const sink: RecordSink = {
    record(buf, tok, nf) {
      if (records.length > maxRows) return;
      const row: (string | null)[] = [];
      for (let f = 0; f < nf; f++) {
        const s = tok.starts[f];
        const e = tok.ends[f];
        if (tok.kinds[f] === FieldKind.QuotedEscaped) {
          const big = e - s > scratch.length ? new Uint8Array(e - s) : scratch;
          row.push(utf8.decode(big.subarray(0, unescapeField(buf, s, e, q, q, big))));
        } else {
          row.push(tok.kinds[f] === FieldKind.Plain && e === s ? null : utf8.decode(buf.subarray(s, e)));
        }
      }
      records.push(row);
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
      delimiter: delimiter.charCodeAt(0),
      quote: q,
      escape: q,
      comment: -1,
      maxRecordBytes: 1 << 30,
      strictQuotes: false,
    },
    sink,
  );
  const start = sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf ? 3 : 0;
  tok.push(sample.subarray(start));
  return records;
}

type Guess = 'boolean' | 'int32' | 'int64' | 'float64' | 'date' | 'timestamp' | 'string';

/**
 * Date and timestamp layouts exports write, tried in this order after ISO 8601: month first before day first (a
 * day over 12 tells them apart), with and without seconds, one-digit hours.
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
];
const DATE_PATTERNS = ['M/D/YYYY', 'D/M/YYYY', 'YYYY/M/D', 'D.M.YYYY'];
const COMPILED = new Map([...TIMESTAMP_PATTERNS, ...DATE_PATTERNS].map((f) => [f, compileTemporalFormat(f)]));

/** The narrowest type every non-empty sample value parses as. Digit strings with leading zeros stay strings. */
export function guessType(values: string[]): Guess {
  return guessColumn(values).type;
}

/** The type, and for dates and timestamps not in ISO 8601 the format, that every non-empty sample value fits. */
export function guessColumn(values: string[]): { type: Guess; format?: string } {
  if (!values.length) return { type: 'string' };
  const bytes = values.map((v) => enc.encode(v));
  const all = (test: (b: Uint8Array, v: string) => boolean) => bytes.every((b, i) => test(b, values[i]));
  // As exports write booleans (the decoder reads the same): true/false, yes/no, t/f, y/n in any case.
  if (all((_, v) => /^(true|false|yes|no|t|f|y|n)$/i.test(v))) return { type: 'boolean' };
  const ints = all((b, v) => !/^[+-]?0\d/.test(v) && Number.isFinite(parseInteger(b, 0, b.length)));
  if (ints) return { type: all((b) => Math.abs(parseInteger(b, 0, b.length)) <= 2147483647) ? 'int32' : 'int64' };
  if (all((b, v) => !/^[+-]?0\d/.test(v) && /[0-9]/.test(v) && !Number.isNaN(parseFloat64(b, 0, b.length))))
    return { type: 'float64' };
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
  return { type: 'string' };
}

/**
 * Drafts a contract from the first rows of a file: delimiter, column names (snake_case, with the original
 * header kept where it differs), types, nullability, and a key when an `id`-like column is unique in the sample.
 * A draft to review, not a verdict: a sample cannot prove a type or a key.
 */
export function inferContract(sample: Uint8Array, o: InferOptions): { yaml: string; rowsSampled: number } {
  const guess = guessDialect(sample);
  const { delimiter, quote } = guess;
  const maxRows = o.maxRows ?? 10_000;
  const stem = o.fileName.replace(/\.gz$/i, '').replace(/\.[^.]+$/, '');
  const records = sampleRecords(sample, delimiter, maxRows + 1, quote);
  /** The draft as YAML, each decision commented with its evidence (`notes`: key -> comment, columns by index). */
  const draft = (
    fields: Record<string, unknown>,
    rows: number,
    notes: { top?: Record<string, string>; columns?: string[] } = {},
  ) => {
    const doc = new Document({
      dataset: o.dataset,
      description: `Drafted by landfall infer from ${rows} rows of ${o.fileName}; review the types, key and quality rules.`,
      match: { patterns: [`${stem}*.csv`] },
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
    return draft({ columns: [{ name: 'column_1', type: 'string' }], quality: { maxRejectRatio: 0.01 } }, 0, {
      top: { columns: 'the file is empty: one text column until a file with rows shows more' },
    });
  }
  const width = modalWidth(records);
  const first = records[0];
  const header =
    hasHeader(
      first,
      records.slice(1, maxRows + 1).filter((r) => r.length === width),
    ) && first.length === width;
  const rows = (header ? records.slice(1) : records).slice(0, maxRows);
  // Records whose fields are all empty (a spreadsheet's trailing ,,,,, lines) say nothing about types or keys.
  const isBlank = (r: (string | null)[]) => r.every((v) => v === null || v === '');
  const blank = rows.filter((r) => r.length === width && isBlank(r)).length;
  const data = rows.filter((r) => r.length === width && !isBlank(r));
  const texts = header ? first.map((h) => h ?? '') : Array.from({ length: width }, () => '');
  const names = headerNames(texts);
  const notes: string[] = [];
  const columns = names.map((name, i) => {
    const values = data.map((r) => r[i]).filter((v): v is string => v !== null);
    const col: Record<string, unknown> = { name };
    if (header && name !== texts[i]) col.header = texts[i];
    const guess = guessColumn(values);
    col.type = guess.type;
    if (guess.format) col.format = guess.format;
    if (values.length === data.length && data.length > 0) col.nullable = false;
    const empty = data.length - values.length;
    const evidence = !values.length
      ? 'no value in the sample'
      : guess.type === 'string'
        ? `no narrower type fits all ${values.length} non-empty sampled values`
        : `all ${values.length} non-empty sampled values fit`;
    notes.push(
      `${name}: ${guess.type}${guess.format ? ` (${guess.format})` : ''}: ${evidence}${empty ? `; ${empty} of ${data.length} empty` : ''}`,
    );
    return col;
  });
  const unique = (i: number) => new Set(data.map((r) => r[i])).size === data.length && data.every((r) => r[i] !== null);
  const keyIndex = names.findIndex((n, i) => (n === 'id' || n.endsWith('_id')) && unique(i));
  const dialect = {
    ...(delimiter !== ',' ? { delimiter } : {}),
    ...(quote !== '"' ? { quote, escape: quote } : {}),
    ...(header ? {} : { header: false }),
  };
  const parsed = records.filter((r) => r.length === width).length;
  const shape = `delimiter ${JSON.stringify(delimiter)}${quote !== '"' ? `, quote ${JSON.stringify(quote)}` : ''}: ${width} fields in ${parsed} of ${records.length} sampled records`;
  const headerNote = header
    ? 'the first record names the columns'
    : 'no header: the first record reads like the data (its values fit the typed columns, or it is empty where they are not)';
  return draft(
    {
      ...(Object.keys(dialect).length ? { dialect } : {}),
      columns,
      ...(keyIndex >= 0 ? { key: [names[keyIndex]] } : {}),
      quality: { maxRejectRatio: 0.01 },
    },
    data.length,
    {
      top: {
        ...(Object.keys(dialect).length ? { dialect: `${shape}; ${headerNote}` } : {}),
        columns: `${Object.keys(dialect).length ? `${data.length} records sampled` : `${shape}; ${headerNote}`}${
          blank ? `; ${blank} blank records (every field empty) left out of the evidence` : ''
        }`,
        ...(keyIndex >= 0
          ? { key: `${names[keyIndex]} is unique and never empty in the ${data.length} sampled records` }
          : {}),
      },
      columns: notes,
    },
  );
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
