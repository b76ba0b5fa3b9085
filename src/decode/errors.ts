/** The header row does not fit the contract: the file is quarantined whole. */
export class HeaderMismatchError extends Error {
  override readonly name = 'HeaderMismatchError';
  constructor(
    readonly missing: string[],
    readonly extra: string[],
    readonly duplicates: string[] = [],
    note = '',
  ) {
    const parts = [
      missing.length ? `missing column(s) ${missing.join(', ')}` : '',
      extra.length ? `unexpected column(s) ${extra.join(', ')}` : '',
      duplicates.length ? `duplicate header name(s) ${duplicates.join(', ')}` : '',
    ].filter(Boolean);
    super(`header does not match the contract: ${parts.join('; ')}${note}`);
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
