/** Reject messages, one place for the reference decoder, its tokenizer and the WASM core's wrapper, so that all say the same. */
export const REJECT_MESSAGES = {
  strayQuote: (field: number) =>
    `field ${field + 1} has a quote inside an unquoted field or text after a closing quote`,
  ragged: (fields: number, columns: number) =>
    `has ${fields} field${fields === 1 ? '' : 's'}, the contract has ${columns} columns`,
  nullNotAllowed: 'is empty but the column is not nullable',
  unterminated: (field: number) => `quoted field ${field + 1} is never closed`,
  overlongRecord: (max: number) => `record is larger than dialect.maxRecordBytes (${max} bytes)`,
  overlongLine: (bytes: number, max: number, kept: number) =>
    `line of ${bytes} bytes is larger than dialect.maxRecordBytes (${max}); its first ${kept} bytes are kept here`,
};

/**
 * Bytes of an oversized line kept in quarantine: enough to see what went wrong; the whole line stays in the
 * source object (its line number is in the reject). Keeps a gzip bomb's one endless line from costing memory.
 */
export const QUARANTINE_HEAD_BYTES = 1024 * 1024;

/** Index of the first CR or LF in `buf`, or -1 (native searches, not a per-byte callback). */
export function lineBreakIndex(buf: Uint8Array): number {
  const lf = buf.indexOf(10);
  const cr = buf.indexOf(13);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

/**
 * The index just after the line break at `b` (CR, LF or CR LF), or -1 when `b` is a CR at the end of the bytes so
 * far and more may follow (an LF in the next chunk belongs to the same break).
 */
export function afterLineBreak(buf: Uint8Array, b: number, final: boolean): number {
  if (buf[b] !== 13) return b + 1;
  if (b + 1 < buf.length) return buf[b + 1] === 10 ? b + 2 : b + 1;
  return final ? b + 1 : -1;
}
