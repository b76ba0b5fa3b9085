/** Reject messages, one place for the reference decoder, its tokenizer and the WASM core's wrapper, so that all say the same. */
export const REJECT_MESSAGES = {
  tooLarge: (bytes: number, max: number) => `is ${bytes} bytes, over dialect.maxRecordBytes (${max})`,
  strayQuote: (field: number) => `field ${field + 1} has a quote inside an unquoted field or text after a closing quote`,
  ragged: (fields: number, columns: number) => `has ${fields} field${fields === 1 ? '' : 's'}, the contract has ${columns} columns`,
  nullNotAllowed: 'is empty but the column is not nullable',
  unterminated: (field: number) => `quoted field ${field + 1} is never closed`,
  overlongRecord: (max: number) => `record is larger than dialect.maxRecordBytes (${max} bytes)`,
  overlongLine: (bytes: number, max: number, kept: number) => `line of ${bytes} bytes is larger than dialect.maxRecordBytes (${max}); its first ${kept} bytes are kept here`,
};

