/**
 * Issue 6 item 4: a file whose columns differ from its contract (extra, missing, reordered, renamed) is
 * handled as the contract's schemaDrift says, recorded in the manifest and surfaced as a metric and alarm.
 * Expected values come from DuckDB reading the same CSV by header name.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '#src/adapters/local/DuckDbEngine.ts';
import { ingestObject } from '#src/ingest/ingestObject.ts';
import { runPipelineLocally } from '#src/adapters/local/localPipeline.ts';
import { ingestContext, type LocalLake } from '#src/wiring/local.ts';
import { duck, expectReconciled, rows, sqlList, tempDir, tempLake } from './helpers.ts';

const contract = (dataset: string, policy: string) => `dataset: ${dataset}
schemaDrift: ${policy}
key: [id]
columns:
  - { name: id, type: int64, nullable: false }
  - { name: name, type: string }
  - { name: amount, type: "decimal(10,2)" }
  - { name: region, type: string, aliases: [area, zone] }
`;

// Reordered, \`region\` under its alias \`area\`, \`name\` missing, two columns the contract does not know.
const DRIFTED = `${[
  'amount,id,area,colour,Extra Note',
  ...Array.from({ length: 500 }, (_, i) => `${i}.25,${i},r${i % 7},c${i % 3},"note, ${i}"`),
].join('\n')}\n`;

async function lakeWith(files: Record<string, string>, settings = {}): Promise<LocalLake> {
  const contracts = await tempDir('landfall-contracts-');
  await writeFile(join(contracts, 'evolving.yaml'), contract('evolving', 'evolve'));
  await writeFile(join(contracts, 'strict.yaml'), contract('strict', 'reject'));
  const lake = await tempLake({ threads: 1, ...settings }, contracts);
  for (const [key, body] of Object.entries(files)) {
    await mkdir(join(lake.landing.root, key, '..'), { recursive: true });
    await writeFile(lake.landing.path(key), body);
  }
  return lake;
}

describe('schema drift', () => {
  it('evolve: converts the file, nulls for the missing column, extra columns kept as strings, all recorded', async () => {
    const lake = await lakeWith({ 'evolving/d.csv': DRIFTED });
    const r = await ingestObject(ingestContext(lake), 'evolving/d.csv');
    await expectReconciled(lake.lake, r);
    expect(r.manifest.status).toBe('published');
    expect(r.manifest.rowsWritten).toBe(500);
    expect(r.manifest.header.reordered).toBe(true);
    expect(r.manifest.drift).toEqual({
      missing: ['name'],
      extra: [
        { header: 'colour', column: 'colour' },
        { header: 'Extra Note', column: 'extra_note' },
      ],
      renamed: [{ column: 'region', header: 'area' }],
      policy: 'evolve',
    });
    expect(r.manifest.schema.map((c) => c.name)).toEqual([
      'id',
      'name',
      'amount',
      'region',
      'colour',
      'extra_note',
      '_batch_id',
      '_source_key',
      '_source_line',
      '_ingested_at',
    ]);

    const conn = await duck();
    const files = sqlList(r.manifest.files.map((f) => lake.lake.path(f.key)));
    const csv = `read_csv('${lake.landing.path('evolving/d.csv')}', header = true, all_varchar = true)`;
    const expected = await rows(
      conn,
      `SELECT id::BIGINT::VARCHAR AS id, NULL AS name, amount::DECIMAL(10,2)::VARCHAR AS amount, area AS region, colour, "Extra Note" AS extra_note FROM ${csv} ORDER BY id::BIGINT`,
    );
    const got = await rows(
      conn,
      `SELECT id::VARCHAR AS id, name, amount::VARCHAR AS amount, region, colour, extra_note FROM read_parquet(${files}) ORDER BY CAST(id AS BIGINT)`,
    );
    expect(got).toEqual(expected);
  });

  it("evolve: the batch is merged, the raw table shows only the contract's columns, SchemaDrift is published and alarms", async () => {
    const lake = await lakeWith({ 'evolving/d.csv': DRIFTED });
    const r = await ingestObject(ingestContext(lake), 'evolving/d.csv');
    const engine = await DuckDbEngine.open(lake.root);
    try {
      const emf: string[] = [];
      const out = await runPipelineLocally(
        { lake: lake.lake, contracts: lake.contracts, engine, now: () => new Date(), emit: (l) => emf.push(l) },
        { dataset: 'evolving', batchId: r.manifest.batchId, manifestKey: r.manifestKey },
      );
      expect(
        (
          await engine.query(
            'SELECT count(*) AS n, count(name) AS named, count(region) AS regions FROM curated.evolving',
          )
        ).rows,
      ).toEqual([{ n: '500', named: '0', regions: '500' }]);
      const rawColumns = (await engine.query('DESCRIBE raw.evolving')).rows.map((c) => c.column_name);
      expect(rawColumns).not.toContain('colour');
      const drift = emf.map((l) => JSON.parse(l)).filter((m) => 'SchemaDrift' in m);
      expect(drift.map((m) => [m.Dataset ?? null, m.SchemaDrift]).sort()).toEqual([
        [null, 1],
        ['evolving', 1],
      ]);
      expect(out.alarms).toEqual([
        {
          name: 'schema-drift',
          dataset: 'evolving',
          detail:
            'missing name; extra colour, Extra Note (kept as extra_note); renamed area -> region (evolve: evolved)',
        },
      ]);
    } finally {
      await engine.close();
    }
  });

  it('reject: the same file is quarantined whole, with the difference in the manifest and the metric published', async () => {
    const lake = await lakeWith({ 'strict/d.csv': DRIFTED });
    const r = await ingestObject(ingestContext(lake), 'strict/d.csv');
    expect(r.manifest.status).toBe('rejected');
    expect(r.manifest.problem?.code).toBe('header-mismatch');
    expect(r.manifest.problem?.message).toMatch(/missing column\(s\) name; unexpected column\(s\) colour, Extra Note/);
    expect(r.manifest.drift?.policy).toBe('reject');
    expect(r.manifest.files).toEqual([]);
    const engine = await DuckDbEngine.open(lake.root);
    try {
      const emf: string[] = [];
      const out = await runPipelineLocally(
        { lake: lake.lake, contracts: lake.contracts, engine, now: () => new Date(), emit: (l) => emf.push(l) },
        { dataset: 'strict', batchId: r.manifest.batchId, manifestKey: r.manifestKey },
      );
      expect(out.steps).not.toContain('merge:curated.strict');
      expect(out.alarms.map((a) => a.name)).toEqual(['schema-drift']);
      expect(out.alarms[0].detail).toMatch(/\(reject: file rejected\)$/);
    } finally {
      await engine.close();
    }
  });

  it('evolve cannot fill a column that may not be null: the file is rejected and the message says so', async () => {
    const lake = await lakeWith({ 'evolving/noid.csv': 'name,amount\nx,1.00\n' });
    const r = await ingestObject(ingestContext(lake), 'evolving/noid.csv');
    expect(r.manifest.status).toBe('rejected');
    expect(r.manifest.problem?.message).toMatch(
      /missing column\(s\) id, region \(id cannot be null, so schemaDrift: evolve cannot fill it\)/,
    );
  });

  it('evolve with byte ranges: every range converts with the evolved columns, the same rows as one pass', async () => {
    const big = `${[
      'amount,id,area,colour,Extra Note',
      ...Array.from({ length: 60_000 }, (_, i) => `${i}.25,${i},r${i % 7},c${i % 3},"note, ${i}"`),
    ].join('\n')}\n`;
    const whole = await lakeWith({ 'evolving/big.csv': big }, { rangeBytes: 0 });
    const ranged = await lakeWith({ 'evolving/big.csv': big }, { rangeBytes: 512 * 1024 });
    const a = await ingestObject(ingestContext(whole), 'evolving/big.csv');
    const b = await ingestObject(ingestContext(ranged), 'evolving/big.csv');
    expect(b.manifest.conversion?.segments).toBeGreaterThan(2);
    const conn = await duck();
    const sum = async (l: LocalLake, files: string[]) =>
      rows(
        conn,
        `SELECT count(*)::VARCHAR AS n, sum(hash(id, name, amount, region, colour, extra_note, _source_line))::VARCHAR AS h FROM read_parquet(${sqlList(files.map((f) => l.lake.path(f)))})`,
      );
    expect(
      await sum(
        ranged,
        b.manifest.files.map((f) => f.key),
      ),
    ).toEqual(
      await sum(
        whole,
        a.manifest.files.map((f) => f.key),
      ),
    );
  }, 60_000);
});
