/**
 * The counts do not prove that every row was written or quarantined (rowsRead != rowsWritten + rowsRejected + rowsBlank, or
 * the files hold other counts than the totals): the manifest is refused rather than published.
 */
export class ReconciliationError extends Error {
  override readonly name = 'ReconciliationError';
  constructor(
    readonly rowsRead: number,
    readonly rowsWritten: number,
    readonly rowsRejected: number,
    readonly rowsBlank: number,
    readonly inFiles: number,
    readonly inQuarantine: number,
  ) {
    super(
      `row counts do not reconcile: read ${rowsRead} != written ${rowsWritten} + rejected ${rowsRejected} + blank ${rowsBlank}` +
        ` (the Parquet files hold ${inFiles} rows, the quarantine file ${inQuarantine}); the manifest was not published.` +
        " This is a bug in the conversion: report it with the batch's staging records, then retry the object",
    );
  }
}

/** The object could not be read as a whole (truncated gzip, storage error): nothing of it is published. */
export class SourceReadError extends Error {
  override readonly name = 'SourceReadError';
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${key}: ${message}`, options);
  }
}

/** The object is larger than its contract's limits.maxObjectMB: kept whole in quarantine, never converted. */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(
    readonly key: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(
      `${key}: ${size} bytes is over the contract's limit of ${maxBytes} bytes (limits.maxObjectMB); ` +
        'split the export into smaller files, or raise the limit in the contract if files this large are expected',
    );
  }
}

/** A gzip object inflated past limits.maxInflation times its stored size (a gzip bomb, or a limit set too low). */
export class InflationLimitError extends Error {
  override readonly name = 'InflationLimitError';
  constructor(
    readonly key: string,
    readonly stored: number,
    readonly inflated: number,
    readonly maxInflation: number,
  ) {
    super(
      `${key}: the gzip stream inflated to over ${inflated} bytes from ${stored} stored bytes, past the contract's limit of ` +
        `${maxInflation}x (limits.maxInflation); if the file is genuine, raise the limit in the contract and upload it again`,
    );
  }
}

/** A gzip run could not even skip to where the previous run stopped before its time ran out: no run can progress. */
export class ResumeTooSlowError extends Error {
  override readonly name = 'ResumeTooSlowError';
  constructor(
    readonly key: string,
    readonly offset: number,
  ) {
    super(
      `${key}: re-inflating the gzip stream up to byte ${offset}, where the previous run stopped, took the whole invocation, ` +
        'so no later run could progress; upload the file uncompressed (plain files are converted in parallel byte ranges) or split it',
    );
  }
}

/** The object is not CSV text at all (NUL bytes near the start: a binary file, or UTF-16): quarantined whole. */
export class NotCsvError extends Error {
  override readonly name = 'NotCsvError';
  constructor(
    readonly key: string,
    readonly offset: number,
  ) {
    super(
      `${key}: byte ${offset} (after decompression) is NUL, so this is a binary file or UTF-16 text, not CSV; ` +
        'for UTF-16 text (a spreadsheet\'s "Unicode text") declare dialect.encoding: utf-16le (or utf-16be) in the ' +
        'contract (npx landfall infer drafts it), else upload the CSV export itself',
    );
  }
}
