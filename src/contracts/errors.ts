/** A contract file that cannot be read or does not satisfy the contract schema. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: invalid dataset contract\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
  }
}

/** `--dataset NAME` names no contract. */
export class UnknownDatasetError extends Error {
  override readonly name = 'UnknownDatasetError';
  constructor(
    readonly dataset: string,
    known: string[],
  ) {
    super(`no contract named "${dataset}"; known datasets: ${known.join(', ')}`);
  }
}
