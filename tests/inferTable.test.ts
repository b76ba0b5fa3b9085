import { matchesFileName } from '#src/contracts/matchContract.ts';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inferContract } from '#src/contracts/inferContract.ts';
import { parseContract } from '#src/contracts/loadContracts.ts';
import type { Contract } from '#src/contracts/contract.ts';
import { FooterHold } from '#src/csv/footerHold.ts';
import { isTranscoded, transcode } from '#src/csv/transcode.ts';
import { WasmCsvDecoder } from '#src/decode/wasmDecoder.ts';
import { SHARED_DATA } from './helpers.ts';

/**
 * What `landfall infer` decides on every CSV file of the shared data (the real files and the conformance suites),
 * and what its draft then lands: the README's tables are this test's output. Run with LANDFALL_UPDATE_README=1 to
 * write them after a change to infer; without it, the test fails when the README says something else.
 */
const README = fileURLToPath(new URL('../README.md', import.meta.url));

async function files(dir: string, skip: (f: string) => boolean): Promise<string[]> {
  const all = (await readdir(dir, { recursive: true })) as string[];
  // CSV files, and the ad samples saved as .txt (not licence texts).
  return all.filter((f) => (f.endsWith('.csv') || /^adtech\/.*\.txt$/.test(f)) && !skip(f)).sort();
}

/** The rows the draft lands, as ingest reads them: transcoded, the footer held back, decoded by the WASM core. */
async function land(contract: Contract, bytes: Uint8Array) {
  const d = new WasmCsvDecoder(contract);
  const footer = contract.dialect.footerLines
    ? new FooterHold(contract.dialect.footerLines, contract.dialect.delimiter.charCodeAt(0))
    : null;
  const enc = contract.dialect.encoding;
  const chunks: Uint8Array[] = [];
  if (isTranscoded(enc)) {
    for await (const c of transcode(
      (async function* () {
        yield bytes;
      })(),
      enc,
    ))
      chunks.push(c);
  } else chunks.push(bytes);
  try {
    for (const c of chunks) for (const p of footer ? footer.push(c) : [c]) d.push(p);
    footer?.end();
    d.end();
    return {
      written: d.stats.rowsWritten,
      rejected: d.stats.rowsRejected,
      blank: d.stats.rowsBlank,
      whole: '',
      rounded: d.stats.valuesRounded,
    };
  } catch (err) {
    return { written: 0, rejected: 0, blank: 0, whole: (err as Error).name, rounded: {} };
  }
}

const code = (s: string) => {
  const t = s.replace(/\t/g, '\\t').replace(/\|/g, '\\|');
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
};

function dialectCell(c: Contract): string {
  const d = c.dialect;
  const parts = [
    `${code(d.delimiter)} ${code(d.quote)}${d.escape && d.escape !== d.quote ? ` esc ${code(d.escape)}` : ''}`,
    ...(d.encoding !== 'utf-8' ? [d.encoding] : []),
    ...(d.skipInitialSpace ? ['skipInitialSpace'] : []),
    ...(d.comment ? [`comment ${code(d.comment)}`] : []),
    ...(d.skipLines ? [`skipLines ${d.skipLines}`] : []),
    ...(d.footerLines ? [`footerLines ${d.footerLines}`] : []),
    ...(d.trailingDelimiter ? ['trailingDelimiter'] : []),
    ...(d.rowNames ? ['rowNames'] : []),
    ...(d.decimalSeparator !== '.' ? [`decimal ${code(d.decimalSeparator)}`] : []),
    ...(d.thousandsSeparator ? [`thousands ${code(d.thousandsSeparator)}`] : []),
  ];
  return parts.join(', ');
}

function typesCell(c: Contract): string {
  const counts = new Map<string, number>();
  for (const col of c.columns) counts.set(col.type, (counts.get(col.type) ?? 0) + 1);
  return `${c.columns.length}: ${[...counts].map(([t, n]) => `${n} ${t}`).join(', ')}`;
}

async function table(root: string, list: string[]): Promise<{ text: string; rejected: string[] }> {
  const rejected: string[] = [];
  const lines = [
    '| file | dialect | header | columns | written | rejected | blank |',
    '| --- | --- | --- | --- | ---: | ---: | ---: |',
  ];
  for (const f of list) {
    const bytes = new Uint8Array(await readFile(join(root, f)));
    const contract = parseContract(
      inferContract(bytes, { dataset: 't', fileName: f.split('/').pop()! }).yaml,
      't.yaml',
    );
    // The draft claims the file it was drafted from (no --dataset needed).
    expect(matchesFileName(contract, f), `${f}: drafted match.patterns ${contract.match.patterns}`).toBe(true);
    const r = await land(contract, bytes);
    // A draft never changes a value: no float64 it drafted rounds any value of the whole file.
    expect(r.rounded, `${f}: values a drafted float64 does not hold`).toEqual({});
    const header = !contract.dialect.header
      ? 'none'
      : contract.dialect.headerRows > 1
        ? `${contract.dialect.headerRows} rows`
        : 'yes';
    if (r.whole || r.rejected) rejected.push(f);
    lines.push(
      `| ${f} | ${dialectCell(contract)} | ${header} | ${typesCell(contract)} | ${r.whole ? `rejected whole: ${r.whole}` : r.written} | ${r.rejected} | ${r.blank} |`,
    );
  }
  return { text: lines.join('\n'), rejected };
}

function section(text: string, name: string, body: string): string {
  const start = `<!-- infer-table:${name} -->`;
  const end = `<!-- /infer-table:${name} -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} ... ${end} section`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

describe('the README says what infer decides on every file of the shared data', () => {
  it('real files and conformance suites: the tables are what infer and its drafts do now', async () => {
    const real = await files(SHARED_DATA, (f) => f.startsWith('csv-conformance'));
    const suites = join(SHARED_DATA, 'csv-conformance');
    const conformance = await files(suites, () => false);
    expect(real.length).toBeGreaterThan(15);
    expect(conformance.length).toBeGreaterThan(80);
    const readme = await readFile(README, 'utf8');
    const realTable = await table(SHARED_DATA, real);
    // Every real file lands whole under its draft: no row rejected.
    expect(realTable.rejected).toEqual([]);
    let next = section(readme, 'real', realTable.text);
    next = section(next, 'conformance', (await table(suites, conformance)).text);
    if (process.env.LANDFALL_UPDATE_README) await writeFile(README, next);
    else
      expect(
        next,
        `the README's infer tables are stale: LANDFALL_UPDATE_README=1 npx vitest run ${relative(process.cwd(), fileURLToPath(import.meta.url))}`,
      ).toBe(readme);
  }, 120_000);
});
