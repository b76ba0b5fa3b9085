/**
 * What a batch's manifest counts, and each run and decoder with it: rowsRead = rowsWritten + rowsRejected + rowsBlank;
 * the lines skipped are counted beside them.
 */
export interface RowCounts {
  /** Records after the header: written, rejected or blank. */
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  /** Records whose every field is empty (only delimiters, as a spreadsheet's trailing ,,,,, lines): skipped. */
  rowsBlank: number;
  /** Empty lines (in a file of more than one column): skipped. */
  blankLines: number;
  commentLines: number;
  /** Lines above the header (dialect.skipLines) and at the end (dialect.footerLines), skipped. */
  preambleLines: number;
  footerLines: number;
}

/** The counts of nothing read. */
export const NO_ROWS: Readonly<RowCounts> = {
  rowsRead: 0,
  rowsWritten: 0,
  rowsRejected: 0,
  rowsBlank: 0,
  blankLines: 0,
  commentLines: 0,
  preambleLines: 0,
  footerLines: 0,
};
