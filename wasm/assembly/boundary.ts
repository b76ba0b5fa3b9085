// Generated from wasm/boundary.json by scripts/gen-boundary.mjs: do not edit.

// Column types
export const T_STRING: i32 = 0;
export const T_INT32: i32 = 1;
export const T_INT64: i32 = 2;
export const T_FLOAT64: i32 = 3;
export const T_DECIMAL: i32 = 4;
export const T_BOOLEAN: i32 = 5;
export const T_DATE: i32 = 6;
export const T_TIMESTAMP: i32 = 7;

// Reject reasons
export const R_INVALID_VALUE: i32 = 1;
export const R_NULL_NOT_ALLOWED: i32 = 2;
export const R_CHECK_ALLOWED: i32 = 3;
export const R_CHECK_RANGE: i32 = 4;
export const R_CHECK_PATTERN: i32 = 5;
export const R_INVALID_UTF8: i32 = 6;
export const R_RAGGED_ROW: i32 = 10;
export const R_STRAY_QUOTE: i32 = 11;

// parse() statuses
export const S_NEED_MORE: i32 = 0;
export const S_BATCH_FULL: i32 = 1;
export const S_HEADER: i32 = 2;
export const S_UNTERMINATED: i32 = 3;
export const S_OVERLONG: i32 = 4;

// Date and timestamp formats
export const F_ISO: i32 = 0;
export const F_EPOCH_S: i32 = 1;
export const F_EPOCH_MS: i32 = 2;
export const F_PATTERN: i32 = 3;

// Pattern parts: a literal byte, or a field with min/max digits
export const P_LITERAL: i32 = 0;
export const P_YEAR: i32 = 1;
export const P_MONTH: i32 = 2;
export const P_DAY: i32 = 3;
export const P_HOUR: i32 = 4;
export const P_MINUTE: i32 = 5;
export const P_SECOND: i32 = 6;
export const P_FRACTION: i32 = 7;
export const P_MERIDIEM: i32 = 8;
export const P_MONTH_NAME: i32 = 9;
export const P_YEAR2: i32 = 10;

// Field kinds
export const K_PLAIN: u8 = 0;
export const K_QUOTED: u8 = 1;
export const K_ESCAPED: u8 = 2;

// Per-column record (COL bytes per contract column)
export const COL: usize = 152;
export const C_TYPE: usize = 0;
export const C_NULLABLE: usize = 4;
export const C_TRIM: usize = 8;
export const C_HAS_MIN: usize = 12;
export const C_HAS_MAX: usize = 13;
export const C_JS_CHECK: usize = 14;
export const C_ALLOW_TRUE: usize = 15;
export const C_ALLOW_FALSE: usize = 16;
export const C_HAS_ALLOWED: usize = 17;
export const C_MIN: usize = 24;
export const C_MAX: usize = 32;
export const C_ALLOWED_PTR: usize = 40;
export const C_ALLOWED_N: usize = 44;
export const C_POW10: usize = 48;
export const C_PRECISION: usize = 56;
export const C_SCALE: usize = 60;
export const C_FMT: usize = 64;
export const C_FMT_PTR: usize = 68;
export const C_FMT_N: usize = 72;
export const C_VALUES: usize = 80;
export const C_VALIDITY: usize = 84;
export const C_OFFSETS: usize = 88;
export const C_DATA: usize = 92;
export const C_DATA_CAP: usize = 96;
export const C_USED: usize = 100;
export const C_WIDTH: usize = 104;
export const C_NUM_FMT: usize = 108;
export const C_PERCENT: usize = 112;
export const C_CURRENCY_PTR: usize = 116;
export const C_CURRENCY_N: usize = 120;
export const C_ALT_PTR: usize = 124;
export const C_ALT_N: usize = 128;
export const C_FMT_COUNTS: usize = 132;
export const C_LAST_FMT: usize = 136;
export const C_LAST_ROUNDED: usize = 140;
export const C_ROUNDED: usize = 144;

// One reject
export const REJECT_SIZE: usize = 32;
export const RJ_LINE: usize = 0;
export const RJ_START: usize = 8;
export const RJ_END: usize = 12;
export const RJ_FIELD: usize = 16;
export const RJ_REASON: usize = 20;
export const RJ_AUX: usize = 24;

// The dialect, written by the wrapper at dialectAddress() before configure()
export const DIALECT_SIZE: usize = 52;
export const D_DELIMITER: usize = 0;
export const D_QUOTE: usize = 4;
export const D_ESCAPE: usize = 8;
export const D_COMMENT: usize = 12;
export const D_STRICT_QUOTES: usize = 16;
export const D_MAX_RECORD_BYTES: usize = 20;
export const D_LATIN1: usize = 24;
export const D_HEADER: usize = 28;
export const D_SKIP_LINES: usize = 32;
export const D_SKIP_INITIAL_SPACE: usize = 36;
export const D_DECIMAL_SEPARATOR: usize = 40;
export const D_THOUSANDS_SEPARATOR: usize = 44;
export const D_TRAILING_DELIMITER: usize = 48;
