/**
 * `landfall report` as a user runs it, read in a real headless Chromium: a lake of real Olist orders and payments,
 * the 100,000 real TalkingData clicks, two RetailRocket-shaped event files (one with 3% bad events: a reject-ratio
 * alarm), a clicks file with an extra column (schema drift: rejected whole) and a file no contract claims. Every
 * number the page shows is compared with DuckDB's over the CSV files, never with the lake.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '#src/adapters/local/DuckDbEngine.ts';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import { collectReport } from '#src/report/reportData.ts';
import { renderReport } from '#src/report/reportHtml.ts';
import type { LocalLake } from '#src/wiring/local.ts';
import { launchChromium, openOffline, type PageLog } from './browser.ts';
import {
  duck,
  lakeAt,
  olistDeliveryDailyCte,
  rows,
  SHARED_DATA,
  sqlList,
  tempDir,
  tempLake,
  until,
} from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));
const DOCS_IMG = fileURLToPath(new URL('../docs/img/', import.meta.url));
const OLIST = join(SHARED_DATA, 'olist/sample_bravida');
const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const csv = (path: string) => `read_csv('${path}', header = true)`;

/** Deterministic RetailRocket-shaped events over three June 2015 days; every `badEvery`-th row has an unknown event. */
function eventsCsv(seed: number, rowsN: number, badEvery = 0): string {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const start = Date.UTC(2015, 5, 1);
  const lines = ['timestamp,visitorid,event,itemid,transactionid'];
  for (let i = 1; i <= rowsN; i++) {
    const r = next();
    const event = badEvery && i % badEvery === 0 ? 'click' : r < 0.9 ? 'view' : r < 0.97 ? 'addtocart' : 'transaction';
    const t = start + Math.floor(next() * 3 * 86_400_000);
    lines.push(
      `${t},${Math.floor(next() * 900)},${event},${Math.floor(next() * 5000)},${event === 'transaction' ? Math.floor(next() * 10_000) : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A number as the page shows it (`20,827`, `0.855`, `null`). */
const shown = (text: string) => (text.trim() === 'null' ? null : Number(text.trim().replace(/,/g, '')));

/** The rows of a table on the page, each cell as shown: numbers parsed, dates as text. */
async function pageTable(page: Page, id: string): Promise<Record<string, string | number | null>[]> {
  const { head, body } = await page.$eval(`#${id}`, (t) => ({
    head: [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? ''),
    body: [...t.querySelectorAll('tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => ({
        text: td.textContent ?? '',
        num: td.classList.contains('num') || td.classList.contains('null'),
      })),
    ),
  }));
  return body.map((cells) => Object.fromEntries(cells.map((c, i) => [head[i], c.num ? shown(c.text) : c.text])));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `Nov 07, 2017` (a chart's aria label) as `2017-11-07`. */
function isoDay(label: string): string {
  const m = /^([A-Z][a-z]{2}) (\d{2}), (\d{4})$/.exec(label.trim());
  if (!m) throw new Error(`not a chart day: ${label}`);
  return `${m[3]}-${String(MONTHS.indexOf(m[1]) + 1).padStart(2, '0')}-${m[2]}`;
}

/** The aria labels of a chart's data marks (one per bar or point), as field -> value. */
async function markLabels(page: Page, chartId: string, markClass: string): Promise<Record<string, string>[]> {
  const labels = await page.$$eval(`#${chartId} g.${markClass}.role-mark > *`, (els) =>
    els.map((e) => e.getAttribute('aria-label') ?? ''),
  );
  return labels.map((l) =>
    Object.fromEntries(
      l.split('; ').map((kv: string) => {
        const i = kv.indexOf(': ');
        return [kv.slice(0, i), kv.slice(i + 2)];
      }),
    ),
  );
}

describe('landfall report: one offline page, read in headless Chromium, its numbers equal to DuckDB over the CSVs', () => {
  let lake: LocalLake;
  let dir: string;
  let reportFile: string;
  let cliOut: string;
  let browser: Browser;
  let page: Page;
  let log: PageLog;
  const events: string[] = [];

  beforeAll(async () => {
    lake = await tempLake();
    lakeAt(lake.root);
    dir = await tempDir('landfall-report-');
    events.push(join(dir, 'events_2015-06_a.csv'), join(dir, 'events_2015-06_b.csv'));
    await writeFile(events[0], eventsCsv(7, 6000));
    await writeFile(events[1], eventsCsv(11, 3000, 33));
    // A clicks export with a column the contract does not know: rejected whole under schemaDrift: reject.
    const clickLines = (await readFile(CLICKS, 'utf8')).split('\n').slice(0, 201);
    await writeFile(
      join(dir, 'clicks_extra_column.csv'),
      `${clickLines.map((l, i) => (i === 0 ? `${l},campaign` : `${l},c${i % 3}`)).join('\n')}\n`,
    );
    await writeFile(join(dir, 'notes_export.csv'), 'note,owner\nchecked,ana\n');
    await writeFile(join(dir, 'notes #2.csv'), 'note,owner\nagain,bo\n'); // a name a link must encode
    const files = [
      join(OLIST, 'olist_orders_dataset.csv'),
      join(OLIST, 'olist_order_payments_dataset.csv'),
      CLICKS,
      ...events,
      join(dir, 'clicks_extra_column.csv'),
      join(dir, 'notes_export.csv'),
      join(dir, 'notes #2.csv'),
    ];
    const runner = await LocalPipelineRunner.open(lake);
    try {
      const { mergeFailed } = await runner.run(files, undefined, () => {});
      expect(mergeFailed).toBe(false);
    } finally {
      await runner.close();
    }
    // The command as a user types it; the page in a folder of its own, so its links are relative paths out of it.
    reportFile = join(lake.root, 'out', 'report.html');
    cliOut = (
      await promisify(execFile)(process.execPath, [BIN, 'report', '--lake', lake.root, '--out', reportFile], {
        maxBuffer: 1 << 20,
      })
    ).stdout;
    browser = await launchChromium();
    ({ page, log } = await openOffline(browser, pathToFileURL(reportFile).href));
    await page.waitForSelector('body[data-charts]', { state: 'attached', timeout: 60_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('says where the page is; the page loads offline with no console error and draws every chart with marks', async () => {
    expect(cliOut).toMatch(/^report: .*report\.html \(\d+ KB, \d+ charts, \d+ alarm\(s\)\); open file:\/\//);
    expect(log.errors).toEqual([]);
    expect(log.requests).toEqual([]);
    const figures = await page.$$eval('figure.chart', (fs) =>
      fs.map((f) => ({
        id: f.id,
        title: f.getAttribute('data-title'),
        rendered: f.getAttribute('data-rendered') === 'true',
        marks: f.querySelectorAll('svg g.role-mark > path, svg g.role-mark > rect, svg g.role-mark > line').length,
      })),
    );
    // 6 summary charts; for each of the 4 datasets with batches rows per batch and Parquet sizes; rejects for events.
    expect(figures.length).toBe(6 + 2 * 4 + 1);
    expect(await page.$eval('body', (b) => b.getAttribute('data-charts'))).toBe(`${figures.length}/${figures.length}`);
    expect(figures.filter((f) => !f.rendered || f.marks === 0)).toEqual([]);
    expect(Number(/(\d+) charts/.exec(cliOut)?.[1])).toBe(figures.length);
  });

  it('olist_delivery_daily: every row of the table equals DuckDB over the orders and payments CSVs', async () => {
    const expected = await rows(
      await duck(),
      `WITH ${olistDeliveryDailyCte(OLIST)}
      SELECT day::VARCHAR AS purchase_date, orders::DOUBLE AS orders, delivered_orders::DOUBLE AS delivered_orders,
             late_orders::DOUBLE AS late_orders,
             CASE WHEN delivered_orders > 0 THEN round(100 * late_orders / delivered_orders, 2) END AS late_pct,
             round(days, 2) AS avg_delivery_days, revenue::DOUBLE AS revenue_brl
      FROM delivery_daily ORDER BY day`,
    );
    const actual = await pageTable(page, 'table-olist_delivery_daily');
    expect(actual.length).toBeGreaterThan(500);
    expect(actual).toEqual(expected);
  });

  it('ad_clicks_daily: the table equals DuckDB over train_sample.csv; the clicks chart draws the 10 channels with the most clicks, each bar with its clicks', async () => {
    const conn = await duck();
    const expected = await rows(
      conn,
      `SELECT CAST(click_time AS DATE)::VARCHAR AS click_date, channel::DOUBLE AS channel, count(*)::DOUBLE AS clicks,
              count(*) FILTER (WHERE is_attributed = 1)::DOUBLE AS installs,
              round(100 * count(*) FILTER (WHERE is_attributed = 1) / count(*), 3) AS install_rate_pct
       FROM ${csv(CLICKS)} GROUP BY ALL ORDER BY click_date, clicks DESC, channel`,
    );
    expect(await pageTable(page, 'table-ad_clicks_daily')).toEqual(expected);

    const top = await rows(
      conn,
      `SELECT channel::VARCHAR AS channel FROM ${csv(CLICKS)} GROUP BY channel ORDER BY count(*) DESC, channel LIMIT 10`,
    );
    const topSet = new Set(top.map((r) => r.channel));
    const bars = (await markLabels(page, 'chart-ad_clicks_daily-0', 'mark-rect')).map((l) => ({
      click_date: isoDay(l.click_date),
      channel: Number(l.channel),
      clicks: Number(l.clicks.replace(/,/g, '')),
    }));
    const expectedBars = expected
      .filter((r) => topSet.has(String(r.channel)))
      .map((r) => ({ click_date: r.click_date, channel: r.channel, clicks: r.clicks }));
    const key = (b: { click_date: unknown; channel: unknown }) => `${b.click_date}/${b.channel}`;
    expect(bars.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      expectedBars.sort((a, b) => key(a).localeCompare(key(b))),
    );
  });

  it('retailrocket_funnel_daily: the table and each point of the funnel equal DuckDB over the event files (unknown events left out)', async () => {
    const expected = await rows(
      await duck(),
      `WITH e AS (SELECT CAST(make_timestamp(timestamp * 1000) AS DATE) AS day, visitorid, event
                  FROM read_csv(${sqlList(events)}, header = true, columns = {'timestamp': 'BIGINT', 'visitorid': 'BIGINT', 'event': 'VARCHAR', 'itemid': 'BIGINT', 'transactionid': 'BIGINT'})
                  WHERE event IN ('view', 'addtocart', 'transaction'))
       SELECT day::VARCHAR AS event_date, count(DISTINCT visitorid)::DOUBLE AS visitors,
              count(*) FILTER (WHERE event = 'view')::DOUBLE AS views,
              count(*) FILTER (WHERE event = 'addtocart')::DOUBLE AS add_to_carts,
              count(*) FILTER (WHERE event = 'transaction')::DOUBLE AS transactions,
              round(100 * count(*) FILTER (WHERE event = 'transaction') / count(*) FILTER (WHERE event = 'view'), 3) AS view_to_transaction_pct
       FROM e GROUP BY day ORDER BY day`,
    );
    expect(expected.length).toBe(3);
    expect(await pageTable(page, 'table-retailrocket_funnel_daily')).toEqual(expected);
    const points = (await markLabels(page, 'chart-retailrocket_funnel_daily-0', 'mark-symbol'))
      .map((l) => `${isoDay(l.event_date)} ${l.measure} ${Number(l.value.replace(/,/g, ''))}`)
      .sort();
    const expectedPoints = expected
      .flatMap((r) => (['views', 'add_to_carts', 'transactions'] as const).map((m) => `${r.event_date} ${m} ${r[m]}`))
      .sort();
    expect(points).toEqual(expectedPoints);
  });

  it("per dataset: rows written and rejected equal DuckDB's counts of the CSVs; the batch over its reject threshold, the drifted file and the unclaimed one are shown with their alarms", async () => {
    const conn = await duck();
    const [clicks] = await rows(conn, `SELECT count(*)::DOUBLE AS n FROM ${csv(CLICKS)}`);
    const [ev] = await rows(
      conn,
      `SELECT count(*) FILTER (WHERE event IN ('view', 'addtocart', 'transaction'))::DOUBLE AS ok,
              count(*) FILTER (WHERE event NOT IN ('view', 'addtocart', 'transaction'))::DOUBLE AS bad
       FROM read_csv(${sqlList(events)}, header = true, all_varchar = true)`,
    );
    const totals = async (dataset: string) =>
      page.$eval(`[data-dataset="${dataset}"] ul.facts`, (ul) =>
        Object.fromEntries([...ul.querySelectorAll('b[data-k]')].map((b) => [b.getAttribute('data-k'), b.textContent])),
      );
    const parse = (t: Record<string, string | null>) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, shown(v ?? '')]));
    expect(parse(await totals('ad_clicks'))).toEqual({ written: clicks.n, rejected: 0, blank: 0 });
    expect(parse(await totals('retailrocket_events'))).toEqual({ written: ev.ok, rejected: ev.bad, blank: 0 });

    // The dirty event file's batch: its ratio over the 1% threshold in red, its reasons, and the alarm it raised.
    const dirty = await page.$$eval('[data-dataset="retailrocket_events"] table.batches tbody tr', (trs) =>
      trs.map((tr) => ({
        source: tr.children[2].textContent,
        rejected: tr.children[6].textContent,
        ratioBad: tr.children[8].classList.contains('bad'),
      })),
    );
    expect(dirty).toEqual([
      {
        source: 'retailrocket_events/events_2015-06_b.csv',
        rejected: `${ev.bad}check-allowed ${ev.bad}`,
        ratioBad: true,
      },
      { source: 'retailrocket_events/events_2015-06_a.csv', rejected: '0', ratioBad: false },
    ]);
    expect(await page.$('#chart-retailrocket_events-rejects')).not.toBeNull();

    const alarms = await page.$$eval('table.alarms tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].slice(1, 4).map((td) => td.textContent)),
    );
    const pct = ((100 * Number(ev.bad)) / (Number(ev.bad) + 3000 - Number(ev.bad))).toFixed(2);
    expect(alarms).toContainEqual(['reject-ratio', 'retailrocket_events', `${pct}% > 1.00%`]);
    expect(alarms).toContainEqual(['schema-drift', 'ad_clicks', 'extra campaign (reject: file rejected)']);
    expect(await page.$eval('[data-dataset="ad_clicks"] ul.drift', (u) => u.textContent)).toContain(
      'ad_clicks/clicks_extra_column.csv: extra campaign (reject: file rejected)',
    );
    expect(
      await page.$$eval('#unmatched table.batches tbody tr', (trs) => trs.map((t) => t.children[2].textContent)),
    ).toEqual(['_unmatched/notes_export.csv', '_unmatched/notes #2.csv']);
  });

  it('every manifest and quarantine link leads to its file', async () => {
    const hrefs = (await page.$$eval('table.batches a', (as) => as.map((a) => a.getAttribute('href') ?? ''))).map(
      (h) => new URL(h, pathToFileURL(reportFile)).href,
    );
    expect(hrefs.length).toBeGreaterThanOrEqual(10);
    const missing = hrefs.filter((h) => !h.startsWith('file://') || !existsSync(fileURLToPath(h)));
    expect(missing).toEqual([]);
    const manifests = hrefs.filter((h) => h.includes('/manifests/'));
    for (const h of manifests) expect(JSON.parse(await readFile(fileURLToPath(h), 'utf8')).batchId).toBeTruthy();
    expect(hrefs.filter((h) => h.includes('/quarantine/')).length).toBeGreaterThanOrEqual(3);
  });

  it("a dataset not refreshed within its contract's interval is stale, and in ALARM now", async () => {
    const engine = await DuckDbEngine.open(lake.root);
    try {
      const data = await collectReport(lake, engine, {
        now: new Date(Date.now() + 2 * 86_400_000),
        targetFileBytes: lake.settings.targetFileBytes,
      });
      const stale = data.alarms.filter((a) => a.origin === 'now').map((a) => `${a.name} ${a.dataset} ${a.detail}`);
      expect(stale.sort()).toEqual([
        'stale-dataset ad_clicks last refreshed 2d ago > 1h',
        'stale-dataset olist_order_payments last refreshed 2d ago > 1d',
        'stale-dataset olist_orders last refreshed 2d ago > 1d',
        'stale-dataset retailrocket_events last refreshed 2d ago > 1d',
      ]);
      const html = await renderReport(data, join(dir, 'stale.html'));
      expect(html.match(/<span class="bad">STALE<\/span>/g)?.length).toBe(4);
    } finally {
      await engine.close();
    }
  });

  it('a chart naming a column its view lacks says so in its place and among the problems; an empty lake gets a page, a missing one an error', async () => {
    const broken = {
      ...lake,
      contracts: lake.contracts.map((c) =>
        c.dataset !== 'ad_clicks'
          ? c
          : { ...c, views: c.views.map((v) => ({ ...v, charts: v.charts.map((ch) => ({ ...ch, y: ['clickz'] })) })) },
      ),
    };
    const engine = await DuckDbEngine.open(lake.root);
    try {
      const data = await collectReport(broken, engine, { targetFileBytes: lake.settings.targetFileBytes });
      const view = data.views.find((v) => v.view.name === 'ad_clicks_daily');
      expect(view).toMatchObject({ broken: true, charts: [] });
      expect(view?.error).toMatch(
        /^chart "Clicks per day and channel .*" names clickz, which analytics.ad_clicks_daily does not have \(it has click_date, channel, clicks, installs, install_rate_pct\): mend the chart in the contract of ad_clicks$/,
      );
      expect(await renderReport(data, join(dir, 'broken.html'))).toContain(
        'names clickz, which analytics.ad_clicks_daily',
      );
    } finally {
      await engine.close();
    }

    const missing = await promisify(execFile)(process.execPath, [
      BIN,
      'report',
      '--lake',
      join(dir, 'no-such-lake'),
    ]).catch((err: { code: number; stderr: string }) => err);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toContain(
      `landfall report: no lake at ${join(dir, 'no-such-lake')}: land files first (landfall run, watch or demo), or name the lake with --lake DIR`,
    );
    const empty = await tempDir('landfall-empty-lake-');
    const out = await promisify(execFile)(process.execPath, [BIN, 'report', '--lake', empty]);
    expect(out.stderr).toBe('');
    const html = await readFile(join(empty, 'report.html'), 'utf8');
    expect(html).toContain('0 batches; rows written <b id="total-written">0</b>');
    expect(html).toContain(
      'analytics.olist_delivery_daily does not exist yet: the first merge of olist_orders creates it',
    );
    expect(html.match(/<p class="none">No batch yet.<\/p>/g)?.length).toBe(lake.contracts.length);
  });

  it('--open hands the page to the desktop opener (xdg-open), and says what to do when there is none', async () => {
    const bin = await tempDir('landfall-opener-');
    const called = join(bin, 'called');
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > ${called}\n`, { mode: 0o755 });
    const out = join(dir, 'opened.html');
    const run = (path: string) =>
      promisify(execFile)(process.execPath, [BIN, 'report', '--lake', lake.root, '--out', out, '--open'], {
        env: { ...process.env, PATH: path },
      });
    await run(`${bin}:${process.env.PATH}`);
    await until(async () => existsSync(called), 10_000);
    expect((await readFile(called, 'utf8')).trim()).toBe(out);
    const none = await run(await tempDir('landfall-empty-path-')); // no opener on the PATH
    expect(none.stderr).toContain(
      `could not start xdg-open to open the report: open ${pathToFileURL(out)} in a browser`,
    );
  });

  it('saves screenshots of the page (docs/img/ with LANDFALL_UPDATE_README=1)', async () => {
    const out = process.env.LANDFALL_UPDATE_README === '1' ? DOCS_IMG : join(dir, 'screenshots');
    await mkdir(out, { recursive: true });
    const shots: [string, string][] = [
      ['report-summaries.png', '[data-view="olist_delivery_daily"]'],
      ['report-clicks.png', '[data-view="ad_clicks_daily"]'],
      ['report-dataset.png', '[data-dataset="retailrocket_events"]'],
    ];
    await page.screenshot({ path: join(out, 'report-top.png') });
    for (const [name, selector] of shots) {
      const el = await page.$(selector);
      expect(el, selector).not.toBeNull();
      await el?.screenshot({ path: join(out, name) });
    }
    for (const name of ['report-top.png', ...shots.map(([n]) => n)]) {
      const png = await readFile(join(out, name));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(10_000);
    }
  });
});
