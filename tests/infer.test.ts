import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { columnName, guessColumn, guessDialect, guessType, inferContract } from '#src/contracts/inferContract.ts';
import { parseContract } from '#src/contracts/loadContracts.ts';
import { duck, expectReconciled, ingestFile, rows, SHARED_DATA, tempDir, tempLake, landedParquet } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));

const FILES: [string, string][] = [
  ['olist/sample_bravida/olist_orders_dataset.csv', 'orders'],
  ['olist/sample_bravida/olist_order_items_dataset.csv', 'items'],
  ['olist/sample_bravida/olist_order_reviews_dataset.csv', 'reviews'],
  ['olist/sample_bravida/olist_geolocation_dataset.csv', 'geolocation'],
  ['olist/olist_sellers_dataset.csv', 'sellers'],
  ['olist/olist_products_dataset.csv', 'products'],
  ['olist/product_category_name_translation.csv', 'translation'],
  ['adtech/talkingdata/train_sample.csv', 'clicks'],
  ['retailrocket/category_tree.csv', 'category_tree'],
];

describe('landfall infer drafts contracts from samples', () => {
  it.each(FILES)(
    '%s: the draft is a valid contract that ingests the whole file with no reject',
    async (file, dataset) => {
      const path = join(SHARED_DATA, file);
      const { yaml } = inferContract(new Uint8Array(await readFile(path)), {
        dataset,
        fileName: file.split('/').pop()!,
      });
      parseContract(yaml, `${dataset}.yaml`);
      const dir = await tempDir();
      await writeFile(join(dir, `${dataset}.yaml`), yaml);
      const lake = await tempLake({}, dir);
      const r = await ingestFile(lake, path, dataset);
      await expectReconciled(lake.lake, r);
      const [{ n }] = await rows(
        await duck(),
        `SELECT count(*) AS n FROM read_csv('${path}', header = true, all_varchar = true)`,
      );
      expect(r.manifest).toMatchObject({ status: 'published', rowsRejected: 0, rowsWritten: Number(n) });
    },
  );

  it('picks types, nullability, names and a key the way a reviewer would', async () => {
    const sample = new Uint8Array(await readFile(join(SHARED_DATA, FILES[0][0])));
    const orders = parseContract(
      inferContract(sample, { dataset: 'orders', fileName: 'olist_orders_dataset.csv' }).yaml,
      'orders.yaml',
    );
    expect(orders.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['order_id', 'string', false],
      ['customer_id', 'string', false],
      ['order_status', 'string', false],
      ['order_purchase_timestamp', 'timestamp', false],
      ['order_approved_at', 'timestamp', true],
      ['order_delivered_carrier_date', 'timestamp', true],
      ['order_delivered_customer_date', 'timestamp', true],
      ['order_estimated_delivery_date', 'timestamp', false],
    ]);
    expect(orders.key).toEqual(['order_id']);
    // Each decision says why, with counts DuckDB finds in the file too.
    const yaml = inferContract(sample, { dataset: 'orders', fileName: 'olist_orders_dataset.csv' }).yaml;
    const [facts] = await rows(
      await duck(),
      `SELECT count(*) AS n, count(*) - count(order_approved_at) AS empty FROM read_csv('${join(SHARED_DATA, FILES[0][0])}', header = true)`,
    );
    expect(yaml).toContain(
      `# delimiter ",": 8 fields in ${Number(facts.n) + 1} of ${Number(facts.n) + 1} sampled records; the first record names the columns`,
    );
    expect(yaml).toContain(
      `# order_approved_at: timestamp: all ${Number(facts.n) - Number(facts.empty)} non-empty sampled values fit; ${facts.empty} of ${facts.n} empty`,
    );
    expect(yaml).toContain(`# order_id is unique and never empty in the ${facts.n} sampled records`);
    expect(yaml).toContain('# order_status: string: no narrower type fits all');
    const sellers = parseContract(
      inferContract(new Uint8Array(await readFile(join(SHARED_DATA, 'olist/olist_sellers_dataset.csv'))), {
        dataset: 'sellers',
        fileName: 'x.csv',
      }).yaml,
      'sellers.yaml',
    );
    expect(sellers.columns.find((c) => c.name === 'seller_zip_code_prefix')?.type).toBe('string'); // leading zeros kept
    expect(guessType(['0', '1', '1'])).toBe('int32');
    expect(guessType(['5000000000'])).toBe('int64');
    expect(guessType(['2017-11-07', '2018-01-01'])).toBe('date');
    expect(guessType(['yes', 'No'])).toBe('boolean');
    expect(guessType(['1.5', '2'])).toBe('float64');
    expect(columnName('Contact Phone Number', 0)).toBe('contact_phone_number');
    expect(columnName('Preço (R$)', 0)).toBe('preco_r');
    expect(columnName('2nd place', 0)).toBe('c_2nd_place');
    expect(columnName('orderId', 0)).toBe('order_id');
  });

  it('always drafts: an empty file, header cells empty, too long or repeated, and a file without a header', async () => {
    const draft = (text: string) =>
      parseContract(inferContract(new TextEncoder().encode(text), { dataset: 'x', fileName: 'x.csv' }).yaml, 'x.yaml');
    expect(draft('').columns.map((c) => c.name)).toEqual(['column_1']);
    const long = 'a'.repeat(200);
    const odd = draft(`id,,${long},name,Name\n1,a,b,c,d\n2,e,f,g,h\n`);
    expect(odd.columns.map((c) => [c.name, c.header])).toEqual([
      ['id', undefined],
      ['column_2', ''],
      ['column_3', long],
      ['name', undefined],
      ['name_5', 'Name'],
    ]);
    // The TalkingData sample without its header line: numbers and timestamps in the first row too.
    const text = await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'), 'utf8');
    const headerless = text.slice(text.indexOf('\n') + 1);
    const c = draft(headerless);
    expect(c.dialect.header).toBe(false);
    expect(c.columns.map((x) => `${x.name}:${x.type}`)).toEqual([
      'column_1:int32',
      'column_2:int32',
      'column_3:int32',
      'column_4:int32',
      'column_5:int32',
      'column_6:timestamp',
      'column_7:timestamp',
      'column_8:int32',
    ]);
    // ... and the draft lands every line of it.
    const dir = await tempDir();
    await writeFile(
      join(dir, 'clicks.yaml'),
      inferContract(new TextEncoder().encode(headerless), { dataset: 'clicks', fileName: 'x.csv' }).yaml,
    );
    await writeFile(join(dir, 'headerless.csv'), headerless);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, join(dir, 'headerless.csv'), 'clicks');
    expect(r.manifest).toMatchObject({ status: 'published', rowsWritten: 100_000, rowsRejected: 0 });
    // Booleans as exports write them, and blank trailing records (a spreadsheet's ,,,) left out of the evidence.
    expect(guessType(['Y', 'N', 'y'])).toBe('boolean');
    expect(guessType(['T', 'f'])).toBe('boolean');
    const trailing = inferContract(new TextEncoder().encode(`order_id,amount\na1,1.5\na2,2.5\n${',\n'.repeat(50)}`), {
      dataset: 'x',
      fileName: 'x.csv',
    }).yaml;
    const withBlanks = parseContract(trailing, 'x.yaml');
    expect(withBlanks.key).toEqual(['order_id']);
    expect(withBlanks.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['order_id', 'string', false],
      ['amount', 'float64', false],
    ]);
    expect(trailing).toContain('50 blank records (every field empty) left out of the evidence');
    // A file of text only is taken to have a header.
    expect(draft('a,b\nx,y\n').dialect.header).toBe(true);
  });

  it('reads dates and timestamps as exports write them, and lands an Excel re-save of the Olist orders', async () => {
    expect(guessColumn(['2/13/2017', '12/1/2017'])).toEqual({ type: 'date', format: 'M/D/YYYY' });
    expect(guessColumn(['13/2/2017', '1/12/2017'])).toEqual({ type: 'date', format: 'D/M/YYYY' });
    expect(guessColumn(['07.11.2017'])).toEqual({ type: 'date', format: 'D.M.YYYY' });
    expect(guessColumn(['2017/11/7'])).toEqual({ type: 'date', format: 'YYYY/M/D' });
    expect(guessColumn(['2017-11-07 9:30', '2017-11-07 10:05'])).toEqual({
      type: 'timestamp',
      format: 'YYYY-MM-DD H:mm',
    });
    expect(guessColumn(['10/2/2017 10:56', '10/2/2017 9:07'])).toEqual({ type: 'timestamp', format: 'M/D/YYYY H:mm' });
    expect(guessColumn(['2017-10-02 10:56:33'])).toEqual({ type: 'timestamp' }); // ISO 8601: no format needed
    expect(guessColumn(['10/2/2017', 'soon'])).toEqual({ type: 'string' });

    // The orders file as Excel re-saves it: M/D/YYYY H:mm, seconds dropped.
    const dir = await tempDir();
    const source = join(SHARED_DATA, FILES[0][0]);
    const resaved = join(dir, 'olist_orders_dataset.csv');
    const conn = await duck();
    const excel = (c: string) => `strftime(${c}, '%-m/%-d/%Y %-H:%M') AS ${c}`;
    const ts = [
      'order_purchase_timestamp',
      'order_approved_at',
      'order_delivered_carrier_date',
      'order_delivered_customer_date',
      'order_estimated_delivery_date',
    ];
    await conn.run(
      `COPY (SELECT order_id, customer_id, order_status, ${ts.map(excel).join(', ')} FROM read_csv('${source}', header = true)) TO '${resaved}' (HEADER)`,
    );
    const { yaml } = inferContract(new Uint8Array(await readFile(resaved)), {
      dataset: 'orders',
      fileName: 'olist_orders_dataset.csv',
    });
    const contract = parseContract(yaml, 'orders.yaml');
    expect(contract.columns.filter((c) => c.type === 'timestamp').map((c) => [c.name, c.format])).toEqual(
      ts.map((c) => [c, 'M/D/YYYY H:mm']),
    );
    await writeFile(join(dir, 'orders.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, resaved, 'orders');
    expect(r.manifest).toMatchObject({ status: 'published', rowsRejected: 0, rowsWritten: 8135 });
    // The values equal DuckDB's reading of the original file, to the minute.
    const files = landedParquet(lake.lake, r.manifest);
    const [landed] = await rows(
      conn,
      `SELECT count(*) AS n, sum(epoch(order_purchase_timestamp))::BIGINT AS s, count(order_delivered_customer_date) AS d FROM ${files}`,
    );
    const [golden] = await rows(
      conn,
      `SELECT count(*) AS n, sum(epoch(date_trunc('minute', order_purchase_timestamp)))::BIGINT AS s, count(order_delivered_customer_date) AS d FROM read_csv('${source}', header = true)`,
    );
    expect(landed).toEqual(golden);
  });

  it("chooses the delimiter and quote under which the whole sample reads consistently: ' quotes, ; and spaces", async () => {
    const dir = await tempDir();
    const conn = await duck();
    const reviews = join(SHARED_DATA, 'olist/sample_bravida/olist_order_reviews_dataset.csv');
    // The reviews (free text with commas, quotes and line breaks) written by DuckDB with ' as the quote character.
    const quoted = join(dir, 'olist_order_reviews_dataset.csv');
    await conn.run(
      `COPY (SELECT * FROM read_csv('${reviews}', header = true, all_varchar = true)) TO '${quoted}' (HEADER, QUOTE '''', ESCAPE '''')`,
    );
    const bytes = new Uint8Array(await readFile(quoted));
    expect(guessDialect(bytes)).toMatchObject({ delimiter: ',', quote: "'", width: 7 });
    const { yaml } = inferContract(bytes, { dataset: 'reviews', fileName: 'olist_order_reviews_dataset.csv' });
    expect(parseContract(yaml, 'reviews.yaml').dialect).toMatchObject({ quote: "'", escape: "'" });
    await writeFile(join(dir, 'reviews.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, quoted, 'reviews');
    const [{ n }] = await rows(conn, `SELECT count(*) AS n FROM read_csv('${reviews}', header = true)`);
    expect(r.manifest).toMatchObject({ status: 'published', rowsRejected: 0, rowsWritten: Number(n) });
    // Semicolons with commas inside the values, and spaces.
    const semi = new TextEncoder().encode('id;price;note\n1;2,50;a, b\n2;3,10;c\n3;4,00;d, e, f\n');
    expect(guessDialect(semi)).toMatchObject({ delimiter: ';', quote: '"', width: 3, matching: 4, records: 4 });
    const spaced = new TextEncoder().encode('ip app device\n87540 12 1\n105560 25 1\n101424 12 1\n');
    expect(guessDialect(spaced)).toMatchObject({ delimiter: ' ', width: 3 });
    // The real files keep reading as they are written.
    expect(
      guessDialect(new Uint8Array(await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv')))),
    ).toMatchObject({ delimiter: ',', quote: '"', width: 8 });
  });

  it('drafts a valid contract for every file of the CSV conformance suites, however odd', async () => {
    const suites = join(SHARED_DATA, 'csv-conformance');
    const files = (await readdir(suites, { recursive: true })).filter((f) => /\.csv$/.test(f));
    expect(files.length).toBeGreaterThan(50);
    const failed: string[] = [];
    for (const f of files) {
      try {
        const { yaml } = inferContract(new Uint8Array(await readFile(join(suites, f))), {
          dataset: 'suite',
          fileName: f.split('/').pop()!,
        });
        parseContract(yaml, 'suite.yaml');
      } catch (err) {
        failed.push(`${f}: ${(err as Error).message}`);
      }
    }
    expect(failed).toEqual([]);
  });

  it('reads backslash escapes when the file uses them: the Olist reviews written with \\" inside quotes', async () => {
    const dir = await tempDir();
    const conn = await duck();
    const reviews = join(SHARED_DATA, 'olist/sample_bravida/olist_order_reviews_dataset.csv');
    const escaped = join(dir, 'olist_order_reviews_dataset.csv');
    await conn.run(
      `COPY (SELECT * FROM read_csv('${reviews}', header = true, all_varchar = true)) TO '${escaped}' (HEADER, QUOTE '"', ESCAPE '\\')`,
    );
    const bytes = new Uint8Array(await readFile(escaped));
    expect(new TextDecoder().decode(bytes)).toContain('\\"');
    expect(guessDialect(bytes)).toMatchObject({ delimiter: ',', quote: '"', escape: '\\', width: 7 });
    const { yaml } = inferContract(bytes, { dataset: 'reviews', fileName: 'olist_order_reviews_dataset.csv' });
    expect(parseContract(yaml, 'reviews.yaml').dialect).toMatchObject({ quote: '"', escape: '\\' });
    expect(yaml).toContain('escape "\\\\"');
    await writeFile(join(dir, 'reviews.yaml'), yaml);
    const lake = await tempLake({}, dir);
    const r = await ingestFile(lake, escaped, 'reviews');
    const files = landedParquet(lake.lake, r.manifest);
    const [landed] = await rows(conn, `SELECT count(*) AS n, sum(hash(review_comment_message)) AS h FROM ${files}`);
    const [golden] = await rows(
      conn,
      `SELECT count(*) AS n, sum(hash(review_comment_message)) AS h FROM read_csv('${reviews}', header = true, all_varchar = true)`,
    );
    expect(r.manifest).toMatchObject({ rowsRejected: 0 });
    expect(landed).toEqual(golden);
    // The same file with doubled quotes keeps escape: the quote itself.
    expect(guessDialect(new Uint8Array(await readFile(reviews)))).toMatchObject({ quote: '"', escape: '"' });
  });

  it('samples the middle and the end of a large plain file by ranged reads: a float in the middle, a footer at the end', async () => {
    const dir = await tempDir();
    const src = await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'), 'utf8');
    const [header, ...lines] = src.trimEnd().split('\n');
    const copies = Math.ceil((20 * 1024 * 1024) / src.length);
    const body: string[] = [];
    for (let k = 0; k < copies; k++) body.push(...lines);
    // Past the first 16 MB (the head infer reads) and before the last 256 KB (the end it reads), one is_attributed
    // value in a thousand is a fraction.
    const from = Math.floor(body.length * 0.82);
    const to = Math.floor(body.length * 0.97);
    for (let i = from; i < to; i += 1000) body[i] = body[i].replace(/,[01]$/, ',0.5');
    const file = join(dir, 'clicks.csv');
    await writeFile(file, `${header}\n${body.join('\n')}\nTotal clicks: ${body.length}\n`);
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'infer', file], { maxBuffer: 1 << 20 });
    const c = parseContract(stdout, 'clicks.yaml');
    expect(c.columns.find((x) => x.name === 'is_attributed')?.type).toBe('float64');
    expect(c.dialect.footerLines).toBe(1);
    expect(stdout).toContain('of them from the middle and end of the file');
  }, 60_000);

  it('--rows all decides on every record: a value the samples miss widens the type, an empty one makes it nullable', async () => {
    const dir = await tempDir();
    const src = await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'), 'utf8');
    const [header, ...lines] = src.trimEnd().split('\n');
    const body: string[] = [];
    while (body.length * 41 < 20 * 1024 * 1024) body.push(...lines);
    // Just past the 16 MB head, before the first middle piece: one fraction, and one click without an app.
    const at = Math.ceil((16.2 * 1024 * 1024) / (src.length / lines.length));
    body[at] = body[at].replace(/,[01]$/, ',0.5');
    body[at + 1] = body[at + 1].replace(/^(\d+),\d+,/, '$1,,');
    const file = join(dir, 'clicks.csv');
    await writeFile(file, `${header}\n${body.join('\n')}\n`);
    const run = (...a: string[]) =>
      promisify(execFile)(process.execPath, [BIN, 'infer', ...a, file], { maxBuffer: 1 << 20 });
    const sampled = parseContract((await run()).stdout, 'clicks.yaml');
    expect(sampled.columns.find((c) => c.name === 'is_attributed')?.type).toBe('int32');
    expect(sampled.columns.find((c) => c.name === 'app')?.nullable).toBe(false);
    const { stdout } = await run('--rows', 'all');
    const whole = parseContract(stdout, 'clicks.yaml');
    expect(whole.columns.find((c) => c.name === 'is_attributed')?.type).toBe('float64');
    expect(whole.columns.find((c) => c.name === 'app')).toMatchObject({ type: 'int32', nullable: true });
    expect(stdout).toContain(`# app: int32: all ${body.length - 1} non-empty values fit; 1 of ${body.length} empty`);
    expect(stdout).toContain(`all ${body.length} records read`);
  }, 120_000);

  it('the CLI writes the draft where asked, and refuses to overwrite', async () => {
    const out = await tempDir();
    const run = (...a: string[]) => promisify(execFile)(process.execPath, [BIN, 'infer', ...a]);
    await run('--out', out, join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv.gz'));
    const c = parseContract(await readFile(join(out, 'train_sample.yaml'), 'utf8'), 'train_sample.yaml');
    expect(c.columns.map((x) => `${x.name}:${x.type}`)).toEqual([
      'ip:int32',
      'app:int32',
      'device:int32',
      'os:int32',
      'channel:int32',
      'click_time:timestamp',
      'attributed_time:timestamp',
      'is_attributed:int32',
    ]);
    await expect(run('--out', out, join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv.gz'))).rejects.toThrow(
      /not overwriting/,
    );
  });
});
