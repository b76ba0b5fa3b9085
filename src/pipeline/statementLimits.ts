import type { Contract } from '../contracts/contract.ts';
import type { Manifest } from '../ingest/manifest.ts';
import { mergeStatements, planMerge } from './planMerge.ts';
import { athenaDialect } from './sqlDialect.ts';

/** Athena's longest query string (its service quotas: 262,144 bytes); a longer statement is refused as it starts. */
export const ATHENA_MAX_QUERY_BYTES = 262_144;

/**
 * The contracts whose pipeline statements would be longer than Athena runs, each with what to do: a table of
 * thousands of columns (a 20,000-column file) makes a MERGE of megabytes, which Athena refuses and which ran the
 * local warehouse out of memory. Measured on the statements the plan would send for one batch, under the longest
 * names a stage can have (a bucket name of 63 characters, databases of 64).
 */
export function oversizedContracts(contracts: Contract[]): string[] {
  const long = (s: string) => `${s}_${'x'.repeat(60)}`.slice(0, 64);
  const names = { raw: long('raw'), curated: long('curated'), summary: long('summary'), analytics: long('analytics') };
  const o = { contracts, dialect: athenaDialect(`s3://${'b'.repeat(63)}`), names };
  const problems: string[] = [];
  for (const c of contracts) {
    const m = {
      dataset: c.dataset,
      batchId: 'b'.repeat(21),
      ingestDate: '2026-01-01',
      status: 'published',
      rowsRead: 1,
      rowsWritten: 1,
      rowsRejected: 0,
      rejectRatio: 0,
      maxRejectRatio: 0,
      rejectThresholdExceeded: false,
    } as Manifest;
    const p = planMerge(o, c.dataset, [m], { round: 'r'.repeat(80) });
    const statements = [...p.ddl, ...p.captures, ...mergeStatements(p), ...p.summaries, ...p.views];
    const worst = statements
      .map((s) => ({ name: s.name, bytes: Buffer.byteLength(s.sql) }))
      .sort((a, b) => b.bytes - a.bytes)[0];
    if (worst && worst.bytes > ATHENA_MAX_QUERY_BYTES)
      problems.push(
        `${c.dataset}: its ${worst.name.split(':')[0]} statement for ${c.columns.length} columns would be ${worst.bytes} bytes, ` +
          `over Athena's ${ATHENA_MAX_QUERY_BYTES}-byte query limit: split the file's columns into several datasets (contracts)`,
      );
  }
  return problems;
}
