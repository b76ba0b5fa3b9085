// Generated from wasm/boundary.json by scripts/gen-boundary.mjs: do not edit.

/** Column type codes. */
export const TYPE = {
  string: 0,
  int32: 1,
  int64: 2,
  float64: 3,
  decimal: 4,
  boolean: 5,
  date: 6,
  timestamp: 7,
} as const;

/** Reject reason codes. */
export const REASON = {
  'invalid-value': 1,
  'null-not-allowed': 2,
  'check-allowed': 3,
  'check-range': 4,
  'check-pattern': 5,
  'invalid-utf8': 6,
  'ragged-row': 10,
  'stray-quote': 11,
} as const;

/** What parse() returns. */
export const STATUS = {
  'need-more': 0,
  'batch-full': 1,
  header: 2,
  unterminated: 3,
  overlong: 4,
} as const;

/** Date and timestamp format kinds. */
export const FORMAT = {
  iso: 0,
  epoch_s: 1,
  epoch_ms: 2,
  pattern: 3,
} as const;

/** Pattern part kinds. */
export const PART_KIND = {
  literal: 0,
  year: 1,
  month: 2,
  day: 3,
  hour: 4,
  minute: 5,
  second: 6,
  fraction: 7,
  meridiem: 8,
  monthName: 9,
  year2: 10,
} as const;

/** The per-column record in the core's memory: its size and the byte offset of each field. */
export const COLUMN_RECORD = {
  size: 152,
  offsets: {
    type: 0,
    nullable: 4,
    trim: 8,
    hasMin: 12,
    hasMax: 13,
    jsCheck: 14,
    allowTrue: 15,
    allowFalse: 16,
    hasAllowed: 17,
    min: 24,
    max: 32,
    allowedPtr: 40,
    allowedN: 44,
    pow10: 48,
    precision: 56,
    scale: 60,
    fmt: 64,
    fmtPtr: 68,
    fmtN: 72,
    values: 80,
    validity: 84,
    offsets: 88,
    data: 92,
    dataCap: 96,
    used: 100,
    width: 104,
    numFmt: 108,
    percent: 112,
    currencyPtr: 116,
    currencyN: 120,
    altPtr: 124,
    altN: 128,
    fmtCounts: 132,
    lastFmt: 136,
    lastRounded: 140,
    rounded: 144,
  }
} as const;

/** One reject in the core's memory. */
export const REJECT_RECORD = {
  size: 32,
  offsets: {
    line: 0,
    start: 8,
    end: 12,
    field: 16,
    reason: 20,
    aux: 24,
  }
} as const;

/** The packed dialect the wrapper writes at dialectAddress() (i32 each). */
export const DIALECT = {
  size: 52,
  offsets: {
    delimiter: 0,
    quote: 4,
    escape: 8,
    comment: 12,
    strictQuotes: 16,
    maxRecordBytes: 20,
    latin1: 24,
    header: 28,
    skipLines: 32,
    skipInitialSpace: 36,
    decimalSeparator: 40,
    thousandsSeparator: 44,
    trailingDelimiter: 48,
  }
} as const;
