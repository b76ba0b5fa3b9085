import type { Contract } from '../contracts/contract.ts';
import type { ColumnEvidence, Evidence } from '../contracts/inferContract.ts';
import {
  CsvTokenizer,
  FieldKind,
  isBlankRecord,
  type RecordSink,
  unescapeField,
  withoutTrailingEmpty,
} from '../csv/csvTokenizer.ts';
import { BomProbe } from '../csv/bomProbe.ts';
import { FooterHold } from '../csv/footerHold.ts';
import { createColumnBuilder, numberFormatOf, StringBuilder } from './columnBuilders.ts';

/** Values kept per column as they come (the start of the file), and values a draft's type refused, at most. */
const FIRST_VALUES = 10_000;
const REFUSED_VALUES = 1_000;
/** Distinct values remembered to tell whether an id column is unique; past this, the draft's word stands. */
const UNIQUE_LIMIT = 2_000_000;

/**
 * Every record of a file read under a drafted contract (`landfall infer --rows all`): per column the first values,
 * every distinct value the draft's type refuses (up to a thousand), how many are empty, and for id-like columns
 * whether all values are unique. Values are checked by the decoders' own column builders, so "refused" means what
 * ingest would refuse. Memory stays bounded whatever the file's size.
 */
export async function scanEvidence(contract: Contract, chunks: AsyncIterable<Uint8Array>): Promise<Evidence> {
  const d = contract.dialect;
  const q = d.quote.charCodeAt(0);
  const esc = (d.escape ?? d.quote).charCodeAt(0);
  const width = contract.columns.length;
  const builders = contract.columns.map((c) => {
    // Nullable and without checks: only whether the value reads as the type is asked.
    const b = createColumnBuilder({ ...c, nullable: true, checks: undefined }, d.encoding);
    if (b instanceof StringBuilder) b.checkUtf8 = false;
    return b;
  });
  const formats = contract.columns.map((c) => numberFormatOf(c, d));
  const columns: (ColumnEvidence & { seen: Set<string> | null; refusedSet: Set<string> })[] = contract.columns.map(
    (c) => ({
      values: [],
      refused: [],
      empty: 0,
      unique: null,
      seen: c.name === 'id' || c.name.endsWith('_id') ? new Set<string>() : null,
      refusedSet: new Set<string>(),
    }),
  );
  let rows = 0;
  let blanks = 0;
  let headerLeft = d.header ? d.headerRows : 0;
  const text = new TextDecoder();
  const scratch = { buf: new Uint8Array(1 << 16) };
  const sink: RecordSink = {
    record(buf, tok, nf, recStart, recEnd) {
      if (nf === 1 && recEnd === recStart && width > 1) return;
      const blank = isBlankRecord(nf, recStart, recEnd);
      if (d.trailingDelimiter) nf = withoutTrailingEmpty(tok, nf);
      if (headerLeft > 0) {
        headerLeft--;
        return;
      }
      if (blank) {
        blanks++;
        return;
      }
      if (nf !== width) return;
      rows++;
      for (let f = 0; f < nf; f++) {
        let src = buf;
        let s = tok.starts[f];
        let e = tok.ends[f];
        if (tok.kinds[f] === FieldKind.QuotedEscaped) {
          if (scratch.buf.length < e - s) scratch.buf = new Uint8Array((e - s) * 2);
          e = unescapeField(buf, s, e, q, esc, scratch.buf);
          s = 0;
          src = scratch.buf;
        }
        const col = columns[f];
        if (e === s && tok.kinds[f] === FieldKind.Plain) {
          col.empty++;
          continue;
        }
        const b = builders[f];
        const fmt = formats[f];
        const problem = fmt ? b.appendNumber(src, s, e, fmt) : b.append(src, s, e);
        if (b.length >= 1 << 16) b.truncate(0);
        const needText = col.values.length < FIRST_VALUES || problem !== null || col.seen !== null;
        if (!needText) continue;
        const v = text.decode(src.subarray(s, e));
        if (col.values.length < FIRST_VALUES) col.values.push(v);
        if (problem && col.refusedSet.size < REFUSED_VALUES && !col.refusedSet.has(v)) {
          col.refusedSet.add(v);
          col.refused.push(v);
        }
        if (col.seen) {
          if (col.seen.has(v)) {
            col.unique = false;
            col.seen = null;
          } else if (col.seen.size >= UNIQUE_LIMIT) {
            col.seen = null;
          } else col.seen.add(v);
        }
      }
    },
    broken() {
      /* counted by ingest, not evidence of types */
    },
    comment() {},
  };
  const tok = new CsvTokenizer(
    {
      delimiter: d.delimiter.charCodeAt(0),
      quote: q,
      escape: esc,
      comment: d.comment ? d.comment.charCodeAt(0) : -1,
      maxRecordBytes: d.maxRecordBytes,
      strictQuotes: d.strictQuotes,
      skipLines: d.skipLines,
      skipInitialSpace: d.skipInitialSpace,
    },
    sink,
  );
  const footer = d.footerLines ? new FooterHold(d.footerLines, d.delimiter.charCodeAt(0)) : null;
  const bom = new BomProbe(d.bom === 'keep');
  const feed = (bytes: Uint8Array) => {
    for (const piece of footer ? footer.push(bytes) : [bytes]) tok.push(piece);
  };
  for await (const chunk of chunks) {
    const start = bom.take(chunk);
    if (start) feed(start.bytes);
  }
  const held = bom.rest();
  if (held) feed(held);
  footer?.end();
  tok.end();
  return {
    rows,
    blank: blanks,
    columns: columns.map(({ values, refused, empty, unique, seen }) => ({
      values,
      refused,
      empty,
      // Every value seen once and the set never given up: unique.
      unique: unique === false ? false : seen !== null ? true : null,
    })),
  };
}
