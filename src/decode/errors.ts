import { bounded, QUOTED_NAMES } from '../csv/rejectMessages.ts';

/** The header row does not fit the contract: the file is quarantined whole. */
export class HeaderMismatchError extends Error {
  override readonly name = 'HeaderMismatchError';
  readonly missing: string[];
  readonly extra: string[];
  readonly duplicates: string[];
  /**
   * The names as a user's header wrote them, each cut to a bound (bounded), and at most QUOTED_NAMES of each list
   * (a header of 100,000 unexpected names is quoted by its first ones and how many more), wherever quoted back.
   */
  constructor(missing: string[], extra: string[], duplicates: string[] = [], note = '') {
    const quote = (names: string[]) => names.slice(0, QUOTED_NAMES).map((n) => bounded(n));
    const list = (names: string[]) =>
      `${quote(names).join(', ')}${names.length > QUOTED_NAMES ? ` and ${names.length - QUOTED_NAMES} more` : ''}`;
    const parts = [
      missing.length ? `missing column(s) ${list(missing)}` : '',
      extra.length ? `unexpected column(s) ${list(extra)}` : '',
      duplicates.length ? `duplicate header name(s) ${list(duplicates)}` : '',
    ].filter(Boolean);
    super(`header does not match the contract: ${parts.join('; ')}${note}`);
    this.missing = quote(missing);
    this.extra = quote(extra);
    this.duplicates = quote(duplicates);
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
