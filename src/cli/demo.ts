import { parseArgs } from 'node:util';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../report/writeReport.ts';
import { generateDemoData } from '../demo/generateDemoData.ts';
import { openLocalLake } from '../wiring/local.ts';
import { bytes, formatResult } from './format.ts';
import { commonOptions, lakeOptions, reportOutcomes } from './options.ts';
import { LocalPipelineRunner } from './pipelineRunner.ts';

export const DEMO_QUERIES: [string, string][] = [
  [
    'Rows per dataset, as landed',
    `
SELECT 'olist_orders' AS dataset, count(*) AS rows FROM raw.olist_orders
UNION ALL SELECT 'olist_order_items', count(*) FROM raw.olist_order_items
UNION ALL SELECT 'olist_order_reviews', count(*) FROM raw.olist_order_reviews
UNION ALL SELECT 'retailrocket_events', count(*) FROM raw.retailrocket_events
UNION ALL SELECT 'ad_clicks', count(*) FROM raw.ad_clicks
ORDER BY dataset`,
  ],
  [
    'Olist: delivery days and late share by customer state (top 5 by orders)',
    `
SELECT c.customer_state AS state, count(*) AS delivered_orders,
       round(avg(date_diff('second', o.order_purchase_timestamp, o.order_delivered_customer_date)) / 86400, 1) AS avg_delivery_days,
       round(100.0 * avg(CASE WHEN o.order_delivered_customer_date::DATE > o.order_estimated_delivery_date::DATE THEN 1 ELSE 0 END), 1) AS late_pct
FROM raw.olist_orders o JOIN raw.olist_customers c USING (customer_id)
WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL
GROUP BY 1 ORDER BY delivered_orders DESC LIMIT 5`,
  ],
  [
    'Ad clicks: clicks, installs and install rate by day',
    `
SELECT click_time::DATE AS day, count(*) AS clicks, sum(is_attributed) AS installs,
       round(100.0 * sum(is_attributed) / count(*), 3) AS install_rate_pct
FROM raw.ad_clicks GROUP BY 1 ORDER BY 1`,
  ],
  [
    'RetailRocket: funnel by event type',
    `
SELECT event, count(*) AS events, count(DISTINCT visitor_id) AS visitors FROM raw.retailrocket_events GROUP BY 1 ORDER BY events DESC`,
  ],
  [
    'Curated: one row per order after dedup and upsert (the late file updated the recent orders)',
    `
SELECT order_status, count(*) AS orders FROM curated.olist_orders GROUP BY 1 ORDER BY orders DESC`,
  ],
  [
    'Analytics view for QuickSight: daily delivery performance (last 5 purchase days)',
    `
SELECT * FROM analytics.olist_delivery_daily ORDER BY purchase_date DESC LIMIT 5`,
  ],
  [
    'Analytics view: install rate by channel and day (top 5 by clicks)',
    `
SELECT * FROM analytics.ad_clicks_daily ORDER BY clicks DESC LIMIT 5`,
  ],
  [
    'What was quarantined, and why (from the manifests)',
    `
SELECT dataset, reason, sum(n)::BIGINT AS rows
FROM (SELECT dataset, unnest(map_keys(rejectsByReason)) AS reason, unnest(map_values(rejectsByReason)) AS n
      FROM read_json('__MANIFESTS__', columns = {dataset: 'VARCHAR', rejectsByReason: 'MAP(VARCHAR, BIGINT)'}))
GROUP BY ALL ORDER BY dataset, reason`,
  ],
];

/** `landfall demo`: generate dirty, realistic sample data for every contract, ingest it, and query it. */
export async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...commonOptions, small: { type: 'boolean', default: false } } });
  const lake = await openLocalLake(lakeOptions(values));
  const inputDir = join(lake.root, 'demo-input');
  const say = (s: string) => process.stdout.write(`${s}\n`);

  say(
    `Generating demo data in ${relative(process.cwd(), inputDir) || '.'}/ (deterministic: the same bytes on every run)`,
  );
  const files = await generateDemoData({
    dir: inputDir,
    size: values.small ? 'small' : 'full',
    onFile: (name, n) => say(`  ${name.padEnd(40)} ${bytes(n).padStart(10)}`),
  });

  say(
    `\nIngesting ${files.length} files into ${relative(process.cwd(), lake.root) || '.'}/ (files already ingested are recognised and skipped),`,
  );
  say(
    'then one merge run per dataset through the pipeline state machine: ONE MERGE of its batches into curated, summaries, views, metrics and alarms\n',
  );
  const pipeline = await LocalPipelineRunner.open(lake);
  const engine = pipeline.engine;
  let result: Awaited<ReturnType<LocalPipelineRunner['run']>>;
  try {
    result = await pipeline.run(
      files.map((f) => f.path),
      undefined,
      say,
    );
    for (const l of await pipeline.freshness()) say(l);
    await engine.attachRaw(lake.lake, lake.contracts);
    for (const [title, sql] of DEMO_QUERIES) {
      const q = sql.trim().replace('__MANIFESTS__', join(lake.lake.root, 'manifests', '*', '*.json'));
      say(`\n-- ${title}\n${q}\n`);
      say(formatResult(await engine.query(q), 'table'));
    }
    const page = await writeReport(lake, engine, join(lake.root, 'report.html'));
    say(
      `\nThe report page (charts of the summaries, batches, rejects, alarms; works offline): ${pathToFileURL(page.path)}`,
    );
  } finally {
    await pipeline.close();
  }
  const lakeArg = values.lake === '.landfall' ? '' : ` --lake ${values.lake}`;
  say(
    `\nTry your own: npx landfall query${lakeArg} "SELECT * FROM analytics.retailrocket_funnel_daily ORDER BY event_date LIMIT 10"`,
  );
  say(
    'Schemas: raw (every landed row), curated (upserted by key, newest wins; appended without a key), summary (recomputed for the keys each merge touches), analytics (views)',
  );
  say(
    `Drop your files: npx landfall run${lakeArg} path/to/file.csv   (contracts in contracts/ say how each dataset is read)`,
  );
  say(`Watch a drop folder: npx landfall watch${lakeArg} --report drop/   (the report page refreshed after each file)`);
  return reportOutcomes(result.outcomes, result.mergeFailed);
}
