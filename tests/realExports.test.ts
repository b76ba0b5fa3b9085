import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guessNumberFormat, inferContract } from '#src/contracts/inferContract.ts';
import { parseContract } from '#src/contracts/loadContracts.ts';
import { contractSchema } from '#src/contracts/contractSchema.ts';
import { FooterHold } from '#src/csv/footerHold.ts';
import { joinHeaderRows } from '#src/csv/headerRows.ts';
import { rejectAlarm } from '#src/ingest/batch.ts';
import { metricData, outcome } from '#src/pipeline/planMerge.ts';
import {
  duck,
  expectReconciled,
  ingestFile,
  quarantineRows,
  rows,
  SHARED_DATA,
  tempDir,
  tempLake,
  landedParquet,
} from './helpers.ts';

const ITEMS = join(SHARED_DATA, 'olist/sample_bravida/olist_order_items_dataset.csv');

/**
 * The Olist order items as a reporting tool exports them: two lines of preamble, a header of two rows (groups over
 * fields), ", " between fields with the seller quoted, 500 blank records a spreadsheet left, a footer of two lines
 * and blank padding after it.
 */
async function reportExport(): Promise<{ text: string; rowCount: number }> {
  const conn = await duck();
  const data = await rows(
    conn,
    `SELECT order_id, order_item_id, product_id, seller_id, strftime(shipping_limit_date, '%Y-%m-%d %H:%M:%S') AS limit_date, price::VARCHAR AS price, freight_value::VARCHAR AS freight FROM read_csv('${ITEMS}', header = true)`,
  );
  const lines = [
    'Olist order items export',
    'Generated 2018-09-03 by the seller portal',
    'Order, , Item, , Shipping, Money, ',
    'id, item, product id, seller id, limit date, price, freight',
    ...data.map((r) =>
      [r.order_id, r.order_item_id, r.product_id, `"${r.seller_id}"`, r.limit_date, r.price, r.freight].join(', '),
    ),
    ...Array(500).fill(',,,,,,'),
    `Total rows: ${data.length}`,
    'Exported by the seller portal, page 1 of 1',
    ',,,,,,',
    '',
    ',,,,,,',
  ];
  return { text: `${lines.join('\r\n')}\r\n`, rowCount: data.length };
}

describe('real exports: preamble, header rows, spaces after delimiters, blank records, footer', () => {
  it('infer reads a report export as a person would, and it lands with the values DuckDB reads from the original', async () => {
    const { text, rowCount } = await reportExport();
    const dir = await tempDir();
    const file = join(dir, 'items_report.csv');
    await writeFile(file, text);
    const { yaml } = inferContract(new TextEncoder().encode(text), { dataset: 'items', fileName: 'items_report.csv' });
    const contract = parseContract(yaml, 'items.yaml');
    expect(contract.dialect).toMatchObject({ skipLines: 2, headerRows: 2, skipInitialSpace: true, footerLines: 2 });
    expect(contract.columns.map((c) => [c.name, c.type])).toEqual([
      ['order_id', 'string'],
      ['order_item', 'int32'],
      ['item_product_id', 'string'],
      ['item_seller_id', 'string'],
      ['shipping_limit_date', 'timestamp'],
      ['money_price', 'float64'],
      ['money_freight', 'float64'],
    ]);
    expect(yaml).toContain('2 lines above the table (narrower or mostly empty): skipped');
    expect(yaml).toContain('the first 2 records name the columns');
    expect(yaml).toContain('2 lines at the end (narrower, or a value that fits no column): left out as a footer');
    expect(yaml).toContain('500 blank records (every field empty) left out of the evidence');

    await writeFile(join(dir, 'items.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, file, 'items');
    await expectReconciled(lake.lake, r);
    expect(r.manifest).toMatchObject({
      status: 'published',
      rowsRead: rowCount + 500,
      rowsWritten: rowCount,
      rowsRejected: 0,
      rowsBlank: 500,
      preambleLines: 2,
      // The footer's two lines and the three padding lines after it (two blank records and an empty line).
      footerLines: 4,
      rejectThresholdExceeded: false,
    });
    // The round's metrics count the blank records too.
    expect(metricData([outcome(r.manifest)])).toContainEqual({
      MetricName: 'RowsBlank',
      Unit: 'Count',
      Value: 500,
      Dimensions: [{ Name: 'Dataset', Value: 'items' }],
    });
    const conn = await duck();
    const files = landedParquet(lake.lake, r.manifest);
    const [landed] = await rows(
      conn,
      `SELECT count(*) AS n, sum(money_price)::DECIMAL(18,2) AS price, sum(money_freight)::DECIMAL(18,2) AS freight, count(DISTINCT item_seller_id) AS sellers, max(length(item_seller_id)) AS len, max(shipping_limit_date) AS last FROM ${files}`,
    );
    const [golden] = await rows(
      conn,
      `SELECT count(*) AS n, sum(price)::DECIMAL(18,2) AS price, sum(freight_value)::DECIMAL(18,2) AS freight, count(DISTINCT seller_id) AS sellers, max(length(seller_id)) AS len, max(shipping_limit_date) AS last FROM read_csv('${ITEMS}', header = true)`,
    );
    expect(landed).toEqual(golden);
  });

  it('lands the same in byte ranges: the preamble and header before the first range, the footer after the last', async () => {
    const { text, rowCount } = await reportExport();
    const dir = await tempDir();
    const file = join(dir, 'items_report.csv');
    await writeFile(file, text);
    await writeFile(
      join(dir, 'items.yaml'),
      inferContract(new TextEncoder().encode(text), { dataset: 'items', fileName: 'x.csv' }).yaml,
    );
    const whole = await tempLake({ rangeBytes: 0 }, dir);
    const ranged = await tempLake({ rangeBytes: 256 * 1024 }, dir);
    const a = await ingestFile(whole, file, 'items');
    const b = await ingestFile(ranged, file, 'items');
    expect(b.manifest.conversion?.segments).toBeGreaterThan(3);
    const counts = (m: typeof a.manifest) => [m.rowsRead, m.rowsWritten, m.rowsBlank, m.preambleLines, m.footerLines];
    expect(counts(b.manifest)).toEqual(counts(a.manifest));
    expect(counts(a.manifest)).toEqual([rowCount + 500, rowCount, 500, 2, 4]);
    const conn = await duck();
    const digest = async (lake: typeof whole, m: typeof a.manifest) =>
      rows(
        conn,
        `SELECT count(*) AS n, sum(hash(order_id, order_item, money_price, _source_line)) AS h FROM ${landedParquet(lake.lake, m)}`,
      );
    expect(await digest(ranged, b.manifest)).toEqual(await digest(whole, a.manifest));
  });

  it('counts the blank records of an Excel re-save instead of landing rows of nulls or rejecting them', async () => {
    const dir = await tempDir();
    const source = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');
    const body = await readFile(source, 'utf8');
    const file = join(dir, 'olist_orders_dataset.csv');
    await writeFile(file, body + ',,,,,,,\n'.repeat(2000));
    const { yaml } = inferContract(new Uint8Array(await readFile(file)), { dataset: 'orders', fileName: 'x.csv' });
    await writeFile(join(dir, 'orders.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, file, 'orders');
    const [{ n }] = await rows(await duck(), `SELECT count(*) AS n FROM read_csv('${source}', header = true)`);
    expect(r.manifest).toMatchObject({
      rowsRead: Number(n) + 2000,
      rowsWritten: Number(n),
      rowsBlank: 2000,
      rowsRejected: 0,
      rejectRatio: 0,
    });
  });
});

describe('dates and times as US and report exports write them', () => {
  it('AM/PM clocks, month names and two-digit years, written by DuckDB from the Olist orders, land to the second', async () => {
    const dir = await tempDir();
    const conn = await duck();
    const source = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');
    const file = join(dir, 'orders_us.csv');
    await conn.run(
      `COPY (SELECT order_id,
          strftime(order_purchase_timestamp, '%-m/%-d/%Y %-I:%M:%S %p') AS purchased,
          strftime(order_approved_at, '%b %-d, %Y %-I:%M %p') AS approved,
          strftime(order_estimated_delivery_date, '%-d-%b-%y') AS estimated,
          strftime(order_delivered_customer_date, '%B %-d, %Y') AS delivered
        FROM read_csv('${source}', header = true)) TO '${file}' (HEADER)`,
    );
    const { yaml } = inferContract(new Uint8Array(await readFile(file)), { dataset: 'orders', fileName: 'x.csv' });
    const contract = parseContract(yaml, 'orders.yaml');
    expect(contract.columns.map((c) => [c.name, c.type, c.format])).toEqual([
      ['order_id', 'string', undefined],
      ['purchased', 'timestamp', 'M/D/YYYY h:mm:ss A'],
      ['approved', 'timestamp', 'MMM D, YYYY h:mm A'],
      ['estimated', 'date', 'D-MMM-YY'],
      ['delivered', 'date', 'MMM D, YYYY'],
    ]);
    await writeFile(join(dir, 'orders.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, file, 'orders');
    expect(r.manifest).toMatchObject({ rowsRejected: 0 });
    const files = landedParquet(lake.lake, r.manifest);
    const [landed] = await rows(
      conn,
      `SELECT count(*) AS n, sum(epoch(purchased))::BIGINT AS p, sum(epoch(approved))::BIGINT AS a, count(approved) AS na,
        sum(epoch(estimated))::BIGINT AS e, sum(epoch(delivered))::BIGINT AS d, count(delivered) AS nd FROM ${files}`,
    );
    const [golden] = await rows(
      conn,
      `SELECT count(*) AS n, sum(epoch(order_purchase_timestamp))::BIGINT AS p,
        sum(epoch(date_trunc('minute', order_approved_at)))::BIGINT AS a, count(order_approved_at) AS na,
        sum(epoch(order_estimated_delivery_date::DATE))::BIGINT AS e,
        sum(epoch(order_delivered_customer_date::DATE))::BIGINT AS d, count(order_delivered_customer_date) AS nd
        FROM read_csv('${source}', header = true)`,
    );
    expect(landed).toEqual(golden);
  });
});

describe('a header one field narrower or wider than the data', () => {
  const SELLERS = join(SHARED_DATA, 'olist/olist_sellers_dataset.csv');

  /** The sellers written by this test: `shape` turns the header and each data line into what a tool writes. */
  async function land(shape: (header: string, lines: string[]) => string[]) {
    const dir = await tempDir();
    const conn = await duck();
    const plain = join(dir, 'plain.csv');
    await conn.run(
      `COPY (SELECT * FROM read_csv('${SELLERS}', header = true, all_varchar = true)) TO '${plain}' (HEADER)`,
    );
    const [header, ...lines] = (await readFile(plain, 'utf8')).trimEnd().split('\n');
    const file = join(dir, 'olist_sellers_dataset.csv');
    await writeFile(file, `${shape(header, lines).join('\n')}\n`);
    const { yaml } = inferContract(new Uint8Array(await readFile(file)), { dataset: 'sellers', fileName: 'x.csv' });
    await writeFile(join(dir, 'sellers.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, file, 'sellers');
    await expectReconciled(lake.lake, r);
    const files = landedParquet(lake.lake, r.manifest);
    const [landed] = await rows(conn, `SELECT count(*) AS n, sum(hash(seller_city)) AS h FROM ${files}`);
    const [golden] = await rows(
      conn,
      `SELECT count(*) AS n, sum(hash(seller_city)) AS h FROM read_csv('${SELLERS}', header = true, all_varchar = true)`,
    );
    expect(r.manifest).toMatchObject({ rowsRejected: 0 });
    expect(landed).toEqual(golden);
    return { contract: parseContract(yaml, 'sellers.yaml'), yaml, lake, r, count: lines.length };
  }

  it("R's write.table: row names before every record, none in the header", async () => {
    const { contract, yaml, lake, r, count } = await land((h, lines) => [h, ...lines.map((l, i) => `"${i + 1}",${l}`)]);
    expect(contract.dialect.rowNames).toBe(true);
    expect(contract.columns[0]).toMatchObject({ name: 'row_name', header: '', type: 'int32' });
    expect(yaml).toContain('the header names every field but the first (row names, as R writes them)');
    const files = landedParquet(lake.lake, r.manifest);
    const [{ s }] = await rows(await duck(), `SELECT sum(row_name)::BIGINT AS s FROM ${files}`);
    expect(Number(s)).toBe((count * (count + 1)) / 2);
  });

  it('a delimiter after every data record, none after the header', async () => {
    const { contract, yaml } = await land((h, lines) => [h, ...lines.map((l) => `${l},`)]);
    expect(contract.dialect.trailingDelimiter).toBe(true);
    expect(contract.columns.map((c) => c.name)).toEqual([
      'seller_id',
      'seller_zip_code_prefix',
      'seller_city',
      'seller_state',
    ]);
    expect(yaml).toContain('every record ends with a delimiter');
  });

  it('a delimiter after the header only', async () => {
    const { contract } = await land((h, lines) => [`${h},`, ...lines]);
    expect(contract.dialect).toMatchObject({ header: true, trailingDelimiter: false, rowNames: false });
    expect(contract.columns).toHaveLength(4);
  });
});

describe('a column written in several layouts', () => {
  it('a file merged from two exports drafts a list of formats, lands every row and counts each format', async () => {
    const dir = await tempDir();
    const conn = await duck();
    const source = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');
    const file = join(dir, 'orders_merged.csv');
    // Two thirds of the rows as the warehouse writes them (ISO), a third as a US spreadsheet does.
    await conn.run(
      `COPY (SELECT order_id, CASE WHEN hash(order_id) % 3 = 0
          THEN strftime(order_purchase_timestamp, '%-m/%-d/%Y %-I:%M:%S %p')
          ELSE strftime(order_purchase_timestamp, '%Y-%m-%d %H:%M:%S') END AS purchased
        FROM read_csv('${source}', header = true)) TO '${file}' (HEADER)`,
    );
    const [{ us, n }] = await rows(
      conn,
      `SELECT count(*) FILTER (WHERE purchased LIKE '%M') AS us, count(*) AS n FROM read_csv('${file}', header = true, all_varchar = true)`,
    );
    const { yaml } = inferContract(new Uint8Array(await readFile(file)), { dataset: 'orders', fileName: 'x.csv' });
    const contract = parseContract(yaml, 'orders.yaml');
    expect(contract.columns[1]).toMatchObject({
      name: 'purchased',
      type: 'timestamp',
      format: ['iso', 'M/D/YYYY h:mm:ss A'],
    });
    expect(yaml).toContain('# purchased: timestamp (iso or M/D/YYYY h:mm:ss A): all');
    await writeFile(join(dir, 'orders.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, file, 'orders');
    expect(r.manifest).toMatchObject({
      rowsRejected: 0,
      rowsWritten: Number(n),
      formatsMatched: { purchased: { iso: Number(n) - Number(us), 'M/D/YYYY h:mm:ss A': Number(us) } },
    });
    const files = landedParquet(lake.lake, r.manifest);
    const [landed] = await rows(conn, `SELECT sum(epoch(purchased))::BIGINT AS s FROM ${files}`);
    const [golden] = await rows(
      conn,
      `SELECT sum(epoch(order_purchase_timestamp))::BIGINT AS s FROM read_csv('${source}', header = true)`,
    );
    expect(landed).toEqual(golden);
  });
});

describe('numbers as exports write them', () => {
  it('takes currencies for money only: codes such as A100 or SKU123 and zip codes stay text', () => {
    const cols = (...c: string[][]) => guessNumberFormat(c).columns.map((x) => x && [x.type, x.currency, x.percent]);
    expect(cols(['a1', 'a2'], ['A100', 'B200'], ['SKU123', 'SKU7'], ['01234', '12345'])).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(cols(['USD 12.50', 'USD 3'], ['$1,234.50', '-$3.00'], ['12 €', '3,5 €'])).toEqual([
      ['float64', 'USD', false],
      ['float64', '$', false],
      null,
    ]);
    // Under a decimal comma the euro column reads, and no plain number column changes value.
    expect(
      guessNumberFormat([
        ['12 €', '3,5 €'],
        ['7', '8'],
      ]),
    ).toMatchObject({
      decimal: ',',
      columns: [{ type: 'float64', currency: '€' }, null],
    });
    expect(
      guessNumberFormat([
        ['12 €', '3,5 €'],
        ['1.5', '2'],
      ]).decimal,
    ).toBe('.');
  });

  it('a Brazilian export (; between fields, R$ 1.234,56, a percent column) is drafted and lands with DuckDB sums', async () => {
    const dir = await tempDir();
    const conn = await duck();
    const data = await rows(
      conn,
      `SELECT order_id, order_item_id, price, freight_value, round(100 * freight_value / price, 1) AS freight_share FROM read_csv('${ITEMS}', header = true)`,
    );
    const br = (x: number, decimals: number) =>
      x.toLocaleString('pt-BR', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    const lines = [
      'pedido;item;preco;frete;participacao',
      ...data.map((r) =>
        [
          r.order_id,
          r.order_item_id,
          `R$ ${br(Number(r.price), 2)}`,
          `R$ ${br(Number(r.freight_value), 2)}`,
          `${br(Number(r.freight_share), 1)}%`,
        ].join(';'),
      ),
    ];
    expect(lines.some((l) => /R\$ \d{1,3}\.\d{3},\d\d/.test(l))).toBe(true); // thousands separators occur
    const file = join(dir, 'itens.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    const { yaml } = inferContract(new Uint8Array(await readFile(file)), { dataset: 'itens', fileName: 'itens.csv' });
    const contract = parseContract(yaml, 'itens.yaml');
    expect(contract.dialect).toMatchObject({ delimiter: ';', decimalSeparator: ',', thousandsSeparator: '.' });
    expect(contract.columns.map((c) => [c.name, c.type, c.currency, c.percent])).toEqual([
      ['pedido', 'string', undefined, undefined],
      ['item', 'int32', undefined, undefined],
      ['preco', 'float64', 'R$', undefined],
      ['frete', 'float64', 'R$', undefined],
      ['participacao', 'float64', undefined, true],
    ]);
    expect(yaml).toContain('# preco: float64 (decimal ",", thousands ".", currency "R$"): all');
    await writeFile(join(dir, 'itens.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, file, 'itens');
    expect(r.manifest).toMatchObject({ rowsRejected: 0, rowsWritten: data.length });
    const files = landedParquet(lake.lake, r.manifest);
    const [landed] = await rows(
      conn,
      `SELECT sum(preco)::DECIMAL(18,2) AS price, sum(frete)::DECIMAL(18,2) AS freight, sum(participacao)::DECIMAL(18,4) AS share, max(preco) AS top FROM ${files}`,
    );
    const [golden] = await rows(
      conn,
      `SELECT sum(price)::DECIMAL(18,2) AS price, sum(freight_value)::DECIMAL(18,2) AS freight, sum(round(100 * freight_value / price, 1) / 100)::DECIMAL(18,4) AS share, max(price) AS top FROM read_csv('${ITEMS}', header = true)`,
    );
    expect(landed).toEqual(golden);
    // A value out of the format is quarantined with its text as written.
    await writeFile(file, `${lines[0]}\n${lines[1]}\nx;1;R$ 12.5;R$ 1,00;1%\n`);
    const bad = await ingestFile(lake, file, 'itens', 'itens2.csv');
    const [q] = await quarantineRows(lake.lake, bad.manifest.quarantine!.key);
    expect(q).toMatchObject({
      reason: 'invalid-value',
      column: 'preco',
      message: '"R$ 12.5" is not a number as the contract writes it (decimal ",", thousands ".", currency "R$")',
    });
  });
});

describe('the parts', () => {
  it('joins a header of several rows per column, an empty upper cell taking the group to its left', () => {
    expect(
      joinHeaderRows([
        ['', 'Sales', '', 'Returns', ''],
        ['id', 'Q1', 'Q2', 'Q1', 'Q2'],
      ]),
    ).toEqual(['id', 'Sales Q1', 'Sales Q2', 'Returns Q1', 'Returns Q2']);
    // Three rows: a middle row's group ends where the row above starts a new one.
    expect(
      joinHeaderRows([
        ['Year', '2017', '', '', '2018'],
        ['', 'H1', '', 'H2', ''],
        ['id', 'Q1', 'Q2', 'Q3', 'Q1'],
      ]),
    ).toEqual(['Year id', '2017 H1 Q1', '2017 H1 Q2', '2017 H2 Q3', '2018 Q1']);
    expect(joinHeaderRows([['a', 'b']])).toEqual(['a', 'b']);
  });

  it('holds back the footer lines however the bytes arrive, and drops the blank padding after them', () => {
    const data = 'h1,h2\r\n1,2\n\n3,4\n';
    const footer = 'Total,7\nEnd of report\n,,\n\n';
    const text = new TextEncoder().encode(data + footer);
    for (let size = 1; size <= text.length; size++) {
      const hold = new FooterHold(2, 44);
      const out: number[] = [];
      for (let p = 0; p < text.length; p += size)
        for (const piece of hold.push(text.subarray(p, p + size))) out.push(...piece);
      expect(new TextDecoder().decode(Uint8Array.from(out)), `chunks of ${size}`).toBe(data);
      expect(hold.end()).toBe(3);
    }
    // Chunks handed out from one reused Buffer (as a folder reads plain files), overwritten after each push: what the
    // hold keeps back must be its own copy.
    for (const size of [5, 7, 16]) {
      const hold = new FooterHold(2, 44);
      const shared = Buffer.alloc(size);
      const out: number[] = [];
      for (let p = 0; p < text.length; p += size) {
        const piece = text.subarray(p, p + size);
        shared.set(piece);
        for (const released of hold.push(shared.subarray(0, piece.length))) out.push(...released);
        shared.fill(35);
      }
      expect(new TextDecoder().decode(Uint8Array.from(out)), `reused chunks of ${size}`).toBe(data);
      expect(hold.end()).toBe(3);
    }
    // A last line without a line break is a footer line too; fewer lines than the footer: all held.
    const open = new FooterHold(1, 44);
    expect(open.push(new TextEncoder().encode('a\nb\nTotal')).map((b) => new TextDecoder().decode(b))).toEqual([
      'a\nb\n',
    ]);
    expect(open.end()).toBe(1);
    const short = new FooterHold(3, 44);
    expect(short.push(new TextEncoder().encode('a\nb\n'))).toEqual([]);
    expect(short.end()).toBe(2);
  });

  it('raises the reject alarm only with enough records to make a ratio mean something, or when all were rejected', () => {
    const c = contractSchema.parse({
      dataset: 'x',
      columns: [{ name: 'a', type: 'string' }],
      quality: { maxRejectRatio: 0.01, minRows: 100 },
    });
    expect(rejectAlarm(c, 10, 1)).toBe(false);
    expect(rejectAlarm(c, 10, 10)).toBe(true);
    expect(rejectAlarm(c, 100, 2)).toBe(true);
    expect(rejectAlarm(c, 100, 1)).toBe(false);
    expect(rejectAlarm(c, 0, 0)).toBe(false);
    const always = contractSchema.parse({ dataset: 'x', columns: [{ name: 'a', type: 'string' }] });
    expect(rejectAlarm(always, 10, 1)).toBe(true);
  });
});
