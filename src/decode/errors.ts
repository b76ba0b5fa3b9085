import { bounded } from '../csv/rejectMessages.ts';
/** The header row does not fit the contract: the file is quarantined whole. */
export class HeaderMismatchError extends Error {
  override readonly name = 'HeaderMismatchError';
  readonly missing: string[];
  readonly extra: string[];
  readonly duplicates: string[];
  /** The names as a user's header wrote them, each cut to a bound (bounded) wherever it is quoted back. */
  constructor(missing: string[], extra: string[], duplicates: string[] = [], note = '') {
    [missing, extra, duplicates] = [missing, extra, duplicates].map((names) => names.map((n) => bounded(n)));
    const parts = [
      missing.length ? `missing column(s) ${missing.join(', ')}` : '',
      extra.length ? `unexpected column(s) ${extra.join(', ')}` : '',
      duplicates.length ? `duplicate header name(s) ${duplicates.join(', ')}` : '',
    ].filter(Boolean);
    super(`header does not match the contract: ${parts.join('; ')}${note}`);
    this.missing = missing;
    this.extra = extra;
    this.duplicates = duplicates;
  }
}

/** The header row itself cannot be parsed (for example an unterminated quote). */
export class BrokenHeaderError extends Error {
  override readonly name = 'BrokenHeaderError';
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: the header row is broken: ${detail}`);
  }
}
