import type { Contract } from '../contracts/contract.ts';
import { CsvTokenizer, FieldKind, type RecordSink, unescapeField } from '../csv/csvTokenizer.ts';
import { REJECT_MESSAGES } from '../csv/rejectMessages.ts';
import { createColumnBuilder, numberFormatOf, StringBuilder } from './columnBuilders.ts';
import type { RejectedRecord, RejectReason } from './csvDecoder.ts';
import { REASON } from './wasmBoundary.ts';

/** Reason of each reject code (the codes: wasm/boundary.json). */
const REASONS = Object.fromEntries(Object.entries(REASON).map(([k, v]) => [v, k])) as Record<number, RejectReason>;

/**
 * Rejects of the WASM core in the reference decoder's words: the core gives a code, a field and a number; the
 * reason's message, and for refused values the reason itself, come from re-reading the field with the reference
 * tokenizer and column builder, so that both decoders report a record the same way.
 */
/** The reject the reference decoder would report for a record the core refused (`field` and `aux` as the core gives them). */
export function describeReject(
  contract: Contract,
  fieldToColumn: number[],
  reject: { line: number; raw: Uint8Array; field: number; code: number; aux: number },
): RejectedRecord {
  const { line, raw, field, code, aux } = reject;
  const reason = REASONS[code];
  const columnOf = (f: number) => contract.columns[fieldToColumn[f]]?.name ?? null;
  switch (reason) {
    case 'stray-quote':
      return { line, column: columnOf(field), reason, raw, message: REJECT_MESSAGES.strayQuote(field) };
    case 'ragged-row':
      return { line, column: null, reason, raw, message: REJECT_MESSAGES.ragged(aux, fieldToColumn.length) };
    case 'null-not-allowed':
      return { line, column: columnOf(field), reason, raw, message: REJECT_MESSAGES.nullNotAllowed };
    default: {
      const c = fieldToColumn[field];
      const problem = referenceProblem(contract, raw, field, c);
      return problem
        ? { line, column: columnOf(field), reason: problem.reason, message: problem.message, raw }
        : {
            line,
            column: columnOf(field),
            reason,
            raw,
            message: `was refused by the WASM core (${reason}) but the reference parser accepts it: please report this line`,
          };
    }
  }
}

/** Re-reads one field of a refused record with the reference tokenizer and builder to name the problem. */
function referenceProblem(contract: Contract, raw: Uint8Array, field: number, c: number) {
  const d = contract.dialect;
  const quote = d.quote.charCodeAt(0);
  const esc = (d.escape ?? d.quote).charCodeAt(0);
  const fields: Uint8Array[] = [];
  const sink: RecordSink = {
    record: (buf, tok, nf) => {
      for (let f = 0; f < nf; f++) {
        let v = buf.subarray(tok.starts[f], tok.ends[f]);
        if (tok.kinds[f] === FieldKind.QuotedEscaped) {
          const out = new Uint8Array(v.length);
          v = out.subarray(0, unescapeField(buf, tok.starts[f], tok.ends[f], quote, esc, out));
        }
        fields.push(v);
      }
    },
    broken: () => {},
    comment: () => {},
  };
  const tok = new CsvTokenizer(
    {
      delimiter: d.delimiter.charCodeAt(0),
      quote: quote,
      escape: esc,
      comment: -1,
      maxRecordBytes: Infinity,
      strictQuotes: d.strictQuotes,
      skipInitialSpace: d.skipInitialSpace,
    },
    sink,
  );
  tok.push(raw);
  tok.end();
  let v = fields[field] ?? new Uint8Array(0);
  if (contract.columns[c].trim) {
    let s = 0;
    let e = v.length;
    while (s < e && (v[s] === 32 || v[s] === 9)) s++;
    while (e > s && (v[e - 1] === 32 || v[e - 1] === 9)) e--;
    v = v.subarray(s, e);
  }
  const b = createColumnBuilder(contract.columns[c], d.encoding);
  if (b instanceof StringBuilder) b.checkUtf8 = true;
  const fmt = numberFormatOf(contract.columns[c], d);
  return fmt ? b.appendNumber(v, 0, v.length, fmt) : b.append(v, 0, v.length);
}
