import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CONTRACTS } from '../wiring/local.ts';
import { matchContract } from './matchContract.ts';
import { loadContracts, parseContract } from './loadContracts.ts';
import { ContractError } from './errors.ts';

const minimal = `dataset: shop_orders
columns:
  - { name: id, type: int64, nullable: false }
  - { name: amount, type: "decimal(10,2)" }
key: [id]
`;

function problems(text: string, file = 'shop_orders.yaml'): string[] {
  try {
    parseContract(text, file);
  } catch (err) {
    if (err instanceof ContractError) return err.problems;
    throw err;
  }
  return [];
}

describe('dataset contracts', () => {
  it('loads all thirteen built-in contracts', async () => {
    const contracts = await loadContracts(BUILTIN_CONTRACTS);
    expect(contracts.map((c) => c.dataset)).toEqual([
      'ad_clicks',
      'olist_category_translation',
      'olist_customers',
      'olist_geolocation',
      'olist_order_items',
      'olist_order_payments',
      'olist_order_reviews',
      'olist_orders',
      'olist_products',
      'olist_sellers',
      'retailrocket_category_tree',
      'retailrocket_events',
      'retailrocket_item_properties',
    ]);
  });

  it('fills in the documented defaults', () => {
    const c = parseContract(minimal, 'shop_orders.yaml');
    expect(c.dialect).toMatchObject({
      delimiter: ',',
      quote: '"',
      header: true,
      encoding: 'utf-8',
      nullTokens: [''],
      bom: 'strip',
      strictQuotes: false,
    });
    expect(c.columns[1]).toMatchObject({ nullable: true, trim: false });
    expect(c.quality.maxRejectRatio).toBe(0.01);
  });

  it('names the file and the field of every problem', () => {
    const bad = `dataset: shop_orders
columns:
  - { name: id, type: integer }
  - { name: Amount, type: "decimal(10,2)" }
  - { name: when, type: timestamp, format: "YYYY-QQ" }
key: [order_id]
dialect: { delimiter: ";;" }
surprise: 1
`;
    let error: ContractError | undefined;
    try {
      parseContract(bad, 'contracts/shop_orders.yaml');
    } catch (err) {
      error = err as ContractError;
    }
    expect(error).toBeInstanceOf(ContractError);
    expect(error!.message).toContain('contracts/shop_orders.yaml');
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^columns\[0\] \(id\)\.type: /),
        expect.stringMatching(/^columns\[1\] \(Amount\)\.name: must be lower_snake_case/),
        expect.stringMatching(/^dialect\.delimiter: delimiter must be one ASCII character/),
        expect.stringMatching(/^\(top level\): Unrecognized key: "surprise"/),
      ]),
    );
  });

  it('checks references between fields once the shape is right', () => {
    const text = minimal.replace('key: [id]', 'key: [order_id]\nversion: updated\npartitionBy: ["month(created)"]');
    expect(problems(text)).toEqual([
      'key[0]: "order_id" is not a column',
      'version: "updated" is not a column',
      'partitionBy[0]: "month(created)" must be a column or year(col), month(col), day(col)',
    ]);
  });

  it('refuses dedupe with a key, partitionsStable without partitions, and a summary scoped by a dataset that does not feed it', () => {
    const summary = [
      'summaries:',
      '  - name: daily',
      '    key: [id]',
      '    columns: [{ name: id, type: string }]',
      '    sql: "SELECT id FROM ${curated}.shop_orders"',
      '    affected:',
      '      shop_orders: SELECT id FROM ${batch} AS b',
      '    scope: { dataset: other_orders, column: created, grain: day }',
    ].join('\n');
    expect(problems(`${minimal.trimEnd()}\npartitionsStable: true\ndedupe: exact\n${summary}\n`)).toEqual([
      'dedupe: exact is for contracts without a key (with a key, rows are upserted by it)',
      'partitionsStable: true needs partitionBy (there is no partition to look in)',
      'summaries[0] (daily).scope.dataset: "other_orders" is not one of its affected datasets',
    ]);
  });

  it('refuses a bad date format, a bad regex and a dataset name that is not the file name', () => {
    const text = minimal
      .replace('key: [id]', '')
      .concat(
        '  - { name: day, type: date, format: "DD.MM.YYYY-QQ" }\n  - { name: code, type: string, checks: { pattern: "([a-z" } }\n',
      );
    const p = problems(text, 'other_name.yaml');
    expect(p).toEqual([
      expect.stringMatching(/^columns\[2\] \(day\)\.format: unknown format letter "Q"/),
      expect.stringMatching(/^columns\[3\] \(code\)\.checks\.pattern: /),
      'dataset: "shop_orders" must equal the file name "other_name"',
    ]);
  });

  it('refuses two files declaring the same dataset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'contracts-'));
    await writeFile(join(dir, 'shop_orders.yaml'), minimal);
    await writeFile(join(dir, 'shop_orders.yml'), minimal);
    await expect(loadContracts(dir)).rejects.toThrow(
      /shop_orders\.yml: invalid dataset contract\n {2}- dataset "shop_orders" is also declared in shop_orders\.yaml/,
    );
  });

  it('matches landing keys by prefix first, then by file name, and reports no match with what to do', async () => {
    const contracts = await loadContracts(BUILTIN_CONTRACTS);
    expect(matchContract(contracts, 'olist_orders/any-name.csv').contract?.dataset).toBe('olist_orders');
    expect(matchContract(contracts, 'exports/2024/olist_order_items_dataset.csv.gz').contract?.dataset).toBe(
      'olist_order_items',
    );
    expect(matchContract(contracts, 'exports/train_sample.csv').contract?.dataset).toBe('ad_clicks');
    const none = matchContract(contracts, 'exports/unknown.csv');
    expect(none).toMatchObject({ reason: 'no-contract' });
    expect((none as { detail: string }).detail).toMatch(/landfall infer/);
  });
});
