import type { QueryResult } from '../adapters/local/DuckDbEngine.ts';

export type OutputFormat = 'table' | 'csv' | 'json';

export function formatResult(r: QueryResult, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(r.rows, null, 2);
  if (format === 'csv') {
    // As DuckDB and pandas write CSV: NULL is an empty field, an empty string a quoted one, so the two stay apart.
    const q = (s: string) => (s === '' || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const field = (v: unknown) => (v === null || v === undefined ? '' : q(cellText(v)));
    return [r.columns.map(q).join(','), ...r.rows.map((row) => r.columns.map((c) => field(row[c])).join(','))].join(
      '\n',
    );
  }
  const cells = r.rows.map((row) => r.columns.map((c) => cellText(row[c])));
  const widths = r.columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((row) => row[i].length))));
  const pad = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (row: string[]) => row.map((s, i) => pad(s.replace(/\s/g, ' '), widths[i])).join(' | ');
  return [
    line(r.columns),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.map(line),
    `(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
