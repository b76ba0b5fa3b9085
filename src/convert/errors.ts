/** The header row does not fit the contract: the file is quarantined whole. */
export class HeaderMismatchError extends Error {
  override readonly name = 'HeaderMismatchError';
  constructor(readonly missing: string[], readonly extra: string[], readonly duplicates: string[] = [], note = '') {
    const parts = [
      missing.length ? `missing column(s) ${missing.join(', ')}` : '',
      extra.length ? `unexpected column(s) ${extra.join(', ')}` : '',
      duplicates.length ? `duplicate header name(s) ${duplicates.join(', ')}` : '',
    ].filter(Boolean);
    super(`header does not match the contract: ${parts.join('; ')}${note}`);
  }
}

/** rowsRead != rowsWritten + rowsRejected: the manifest is refused rather than published. */
export class ReconciliationError extends Error {
  override readonly name = 'ReconciliationError';
  constructor(readonly rowsRead: number, readonly rowsWritten: number, readonly rowsRejected: number) {
    super(`row counts do not reconcile: read ${rowsRead} != written ${rowsWritten} + rejected ${rowsRejected}; the manifest was not published`);
  }
}

/** The object could not be read as a whole (truncated gzip, storage error): nothing of it is published. */
export class SourceReadError extends Error {
  override readonly name = 'SourceReadError';
  constructor(readonly key: string, message: string, options?: { cause?: unknown }) {
    super(`${key}: ${message}`, options);
  }
}

/** The header row itself cannot be parsed (for example an unterminated quote). */
export class BrokenHeaderError extends Error {
  override readonly name = 'BrokenHeaderError';
  constructor(readonly line: number, detail: string) {
    super(`line ${line}: the header row is broken: ${detail}`);
  }
}

/** The object is not CSV text at all (NUL bytes near the start: a binary file, or UTF-16): quarantined whole. */
export class NotCsvError extends Error {
  override readonly name = 'NotCsvError';
  constructor(readonly key: string, readonly offset: number) {
    super(
      `${key}: byte ${offset} (after decompression) is NUL, so this is a binary file or UTF-16 text, not CSV; ` +
      'upload the CSV export itself (UTF-8 or Latin-1, optionally gzipped)',
    );
  }
}
