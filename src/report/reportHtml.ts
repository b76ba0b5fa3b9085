import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileSizesChart, rejectsChart, rowsPerBatchChart, viewChart, type ChartSpec } from './charts.ts';
import type { BatchRow, DatasetHealth, ReportData, Row, ViewData } from './reportData.ts';

/** The most batches a dataset's table lists (newest first); the charts show them all. */
const MAX_BATCH_ROWS = 200;

/** The Vega runtime the page inlines (BSD-3-Clause), and its version for the page's footer. */
async function vegaRuntime(): Promise<{ script: string; version: string }> {
  const main = createRequire(import.meta.url).resolve('vega');
  const [script, pkg] = await Promise.all([
    readFile(join(dirname(main), 'vega.min.js'), 'utf8'),
    readFile(join(dirname(main), '..', 'package.json'), 'utf8'),
  ]);
  return { script, version: (JSON.parse(pkg) as { version: string }).version };
}

/** One self-contained HTML page: tables written out, charts drawn by the inlined Vega runtime (no network). */
export async function renderReport(data: ReportData, outFile: string): Promise<string> {
  const charts: ChartSpec[] = [];
  // Each segment encoded on its own: a key may hold `#`, `?` or `%`, which encodeURI would leave to break the link.
  const link = (path: string) => relative(dirname(outFile), path).split(sep).map(encodeURIComponent).join('/');
  const chart = (spec: ChartSpec) => {
    charts.push(spec);
    return `<figure class="chart" id="${spec.id}" data-title="${esc(spec.title)}" role="img" aria-label="${esc(spec.title)}"></figure>`;
  };

  const views = data.views.map((v) => viewSection(v, chart)).join('\n');
  const datasets = data.datasets.map((d) => datasetSection(d, data.targetBand, chart, link)).join('\n');
  const totals = data.datasets.flatMap((d) => d.batches);
  const sum = (k: 'rowsWritten' | 'rowsRejected' | 'rowsBlank') => totals.reduce((n, b) => n + b[k], 0);
  const { script, version } = await vegaRuntime();
  const chartsJson = JSON.stringify(charts.map((c) => ({ id: c.id, vega: c.vega }))).replace(/</g, '\\u003c');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Landfall report: ${esc(data.root)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Landfall report</h1>
<p class="meta">Lake <code>${esc(data.root)}</code>, read ${esc(data.generatedAt.replace('T', ' ').slice(0, 19))} UTC.
${totals.length.toLocaleString('en-US')} ${totals.length === 1 ? 'batch' : 'batches'}; rows written <b id="total-written">${fmt(sum('rowsWritten'))}</b>,
rejected <b id="total-rejected">${fmt(sum('rowsRejected'))}</b>, blank <b id="total-blank">${fmt(sum('rowsBlank'))}</b>;
<a href="#alarms">${data.alarms.length} alarm(s)</a>.</p>
<nav><a href="#alarms">Alarms</a> · <a href="#summaries">Summaries</a> · <a href="#datasets">Datasets</a>${data.unmatched.length ? ' · <a href="#unmatched">Unclaimed files</a>' : ''}
<span class="datasets">${data.datasets.map((d) => `<a href="#ds-${esc(d.dataset)}">${esc(d.dataset)}</a>`).join(' ')}</span></nav>
</header>
<main>
<section id="alarms"><h2>Alarms</h2>
${alarmsTable(data)}
</section>
<section id="summaries"><h2>Summaries</h2>
${views || '<p class="none">No contract draws a view (a view gets charts with <code>charts:</code> in its contract).</p>'}
</section>
<section id="datasets"><h2>Datasets</h2>
${datasets}
</section>
${data.unmatched.length ? `<section id="unmatched"><h2>Files no contract claimed</h2>\n${batchTable(data.unmatched, link)}\n</section>` : ''}
</main>
<footer>Written by <code>landfall report</code>. Charts drawn by Vega ${esc(version)} (BSD-3-Clause), inlined: the page needs no network.</footer>
<script>${script.replace(/<\/script/gi, '<\\/script')}</script>
<script type="application/json" id="landfall-charts">${chartsJson}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}

/** Draws every chart as SVG; `data-rendered` on each figure and `data-charts` on the body say when it is done. */
const DRAW = `
(async () => {
  const specs = JSON.parse(document.getElementById('landfall-charts').textContent);
  let drawn = 0;
  for (const s of specs) {
    const el = document.getElementById(s.id);
    try {
      await new vega.View(vega.parse(s.vega), { renderer: 'svg', container: el, hover: true }).runAsync();
      el.dataset.rendered = 'true';
      drawn++;
    } catch (err) {
      el.textContent = 'This chart could not be drawn: ' + err.message;
      el.classList.add('failed');
      console.error('chart ' + s.id + ': ' + err.message);
    }
  }
  document.body.dataset.charts = drawn + '/' + specs.length;
})();
`;

function alarmsTable(data: ReportData): string {
  if (!data.alarms.length) return '<p class="none">No alarm was raised.</p>';
  return `<table class="alarms"><thead><tr><th>when (UTC)</th><th>alarm</th><th>dataset</th><th>why</th><th></th></tr></thead><tbody>
${data.alarms
  .map(
    (a) =>
      `<tr><td>${esc(a.at.replace('T', ' ').slice(0, 19))}</td><td class="alarm">${esc(a.name)}</td><td><a href="#ds-${esc(a.dataset)}">${esc(a.dataset)}</a></td><td>${esc(a.detail)}</td><td>${a.origin === 'now' ? 'in ALARM now' : 'raised by a run'}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
}

function viewSection(v: ViewData, chart: (c: ChartSpec) => string): string {
  const head = `<h3 id="view-${esc(v.view.name)}">analytics.${esc(v.view.name)} <small>${esc(v.dataset)}</small></h3>${v.view.description ? `<p>${esc(v.view.description)}</p>` : ''}`;
  if (v.error) return `<article class="view">${head}<p class="none">${esc(v.error)}</p></article>`;
  if (!v.table.totalRows) return `<article class="view">${head}<p class="none">The view has no rows yet.</p></article>`;
  if (!v.view.charts.length)
    return `<article class="view" data-view="${esc(v.view.name)}">${head}<p>${fmt(v.table.totalRows)} rows of ${esc(v.table.columns.join(', '))}; no chart declared (a contract draws a view with <code>charts:</code>). <code>landfall query "SELECT * FROM analytics.${esc(v.view.name)} LIMIT 100"</code></p></article>`;
  const charts = v.charts.map((c, j) => chart(viewChart(`chart-${v.view.name}-${j}`, c.chart, c.rows))).join('\n');
  const shown =
    v.table.rows.length < v.table.totalRows
      ? `the first ${fmt(v.table.rows.length)} of ${fmt(v.table.totalRows)} rows (all of them: <code>landfall query "SELECT * FROM analytics.${esc(v.view.name)}"</code>)`
      : `${fmt(v.table.totalRows)} rows`;
  return `<article class="view" data-view="${esc(v.view.name)}">${head}
${charts}
<details open><summary>The table: ${shown}</summary>
<div class="scroll">${rowsTable(v.table.columns, v.table.rows, `table-${v.view.name}`)}</div></details>
</article>`;
}

function rowsTable(columns: string[], rows: Row[], id: string): string {
  return `<table id="${esc(id)}" class="data"><thead><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>
${rows.map((r) => `<tr>${columns.map((c) => cell(r[c])).join('')}</tr>`).join('\n')}
</tbody></table>`;
}

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '<td class="null">null</td>';
  if (typeof v === 'number') return `<td class="num">${fmt(v)}</td>`;
  return `<td>${esc(String(v))}</td>`;
}

function datasetSection(
  d: DatasetHealth,
  band: [number, number],
  chart: (c: ChartSpec) => string,
  link: (path: string) => string,
): string {
  const published = d.batches.filter((b) => b.status === 'published');
  const sum = (k: 'rowsWritten' | 'rowsRejected' | 'rowsBlank') => d.batches.reduce((n, b) => n + b[k], 0);
  const files = published.flatMap((b) => b.files);
  const bytes = files.reduce((n, f) => n + f.bytes, 0);
  const inBand = files.filter((f) => f.bytes >= band[0] && f.bytes <= band[1]).length;
  const over = published.filter((b) => b.rejectThresholdExceeded).length;
  const head = `<h3 id="ds-${esc(d.dataset)}">${esc(d.dataset)}</h3>${d.description ? `<p>${esc(d.description)}</p>` : ''}`;
  if (!d.batches.length)
    return `<article class="dataset" data-dataset="${esc(d.dataset)}">${head}<p class="none">No batch yet.</p></article>`;
  const facts = [
    `<li>${fmt(d.batches.length)} batch(es): rows written <b data-k="written">${fmt(sum('rowsWritten'))}</b>, rejected <b data-k="rejected">${fmt(sum('rowsRejected'))}</b>, blank <b data-k="blank">${fmt(sum('rowsBlank'))}</b></li>`,
    `<li>reject ratio threshold ${pct(d.maxRejectRatio)}: ${over ? `<span class="bad">exceeded by ${over} batch(es)</span>` : 'never exceeded'}</li>`,
    `<li>${freshness(d)}</li>`,
    `<li>${fmt(files.length)} Parquet file(s), ${mb(bytes)}; ${inBand} in the ${mb(band[0])}-${mb(band[1])} band${files.length > inBand ? ` (a batch smaller than the target writes one smaller file)` : ''}</li>`,
  ];
  const drift = d.batches.filter((b) => b.drift);
  const charts = [
    chart(rowsPerBatchChart(`chart-${d.dataset}-rows`, d.dataset, d.batches)),
    d.batches.some((b) => b.rowsRejected > 0)
      ? chart(rejectsChart(`chart-${d.dataset}-rejects`, d.dataset, d.batches))
      : '',
    files.length ? chart(fileSizesChart(`chart-${d.dataset}-files`, d.dataset, published, band)) : '',
  ].filter(Boolean);
  const newest = [...d.batches].reverse().slice(0, MAX_BATCH_ROWS);
  return `<article class="dataset" data-dataset="${esc(d.dataset)}">${head}
<ul class="facts">${facts.join('')}</ul>
${drift.length ? `<h4>Schema drift</h4><ul class="drift">${drift.map((b) => `<li>${esc(b.finishedAt.replace('T', ' ').slice(0, 19))} ${esc(b.source)}: ${esc(b.drift ?? '')}</li>`).join('')}</ul>` : ''}
${charts.join('\n')}
<details${d.batches.length <= 20 ? ' open' : ''}><summary>Batches, newest first${d.batches.length > newest.length ? ` (the last ${newest.length} of ${d.batches.length})` : ''}</summary>
<div class="scroll">${batchTable(newest, link)}</div></details>
</article>`;
}

function freshness(d: DatasetHealth): string {
  const f = d.freshness;
  const last = d.batches.filter((b) => b.status === 'published').at(-1)?.finishedAt;
  if (!f)
    return `last batch ${last ? esc(last.replace('T', ' ').slice(0, 19)) : 'never'}; the contract expects no refresh interval`;
  if (f.lastAt === null || f.ageMs === null)
    return `expected every ${esc(f.expectedEvery)}; no batch was published yet`;
  return `last batch ${esc(f.lastAt.replace('T', ' ').slice(0, 19))} UTC, ${age(f.ageMs)} ago; expected every ${esc(f.expectedEvery)}: ${f.stale ? '<span class="bad">STALE</span>' : '<span class="ok">fresh</span>'}`;
}

function batchTable(batches: BatchRow[], link: (path: string) => string): string {
  return `<table class="batches"><thead><tr><th>finished (UTC)</th><th>batch</th><th>source</th><th>status</th><th>read</th><th>written</th><th>rejected</th><th>blank</th><th>reject ratio</th><th>Parquet</th><th>quarantine</th><th>notes</th></tr></thead><tbody>
${batches
  .map((b) => {
    const reasons = Object.entries(b.rejectsByReason)
      .map(([r, n]) => `${esc(r)} ${fmt(n)}`)
      .join(', ');
    const notes = [b.problem, b.drift]
      .filter(Boolean)
      .map((n) => esc(n ?? ''))
      .join('<br>');
    return `<tr data-batch="${esc(b.batchId)}"><td>${esc(b.finishedAt.replace('T', ' ').slice(0, 19))}</td><td><a href="${link(b.manifestPath)}">${esc(b.batchId)}</a></td><td>${esc(b.source)}</td><td>${esc(b.status)}</td><td class="num">${fmt(b.rowsRead)}</td><td class="num">${fmt(b.rowsWritten)}</td><td class="num">${fmt(b.rowsRejected)}${reasons ? `<br><small>${reasons}</small>` : ''}</td><td class="num">${fmt(b.rowsBlank)}</td><td class="num${b.rejectThresholdExceeded ? ' bad' : ''}">${pct(b.rejectRatio)} / ${pct(b.maxRejectRatio)}</td><td class="num">${b.files.length} · ${mb(b.files.reduce((n, f) => n + f.bytes, 0))}</td><td>${b.quarantinePath ? `<a href="${link(b.quarantinePath)}">${b.status === 'published' ? 'rejected rows' : 'the file'}</a>` : ''}</td><td>${notes}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 6 });
const pct = (x: number) => `${(100 * x).toLocaleString('en-US', { maximumFractionDigits: 3 })}%`;
const mb = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;

function age(ms: number): string {
  const h = ms / 3_600_000;
  if (h < 1) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  return h < 48 ? `${Math.floor(h)} h` : `${Math.floor(h / 24)} d`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 0; background: #fafafa; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
h3 small { color: #777; font-weight: normal; }
.meta { color: #444; margin: 4px 0 8px; }
nav { font-size: 13px; } nav .datasets { display: block; margin-top: 4px; } nav .datasets a { margin-right: 8px; color: #555; }
article { background: #fff; border: 1px solid #e4e4e4; border-radius: 6px; padding: 8px 16px 12px; margin: 16px 0; }
figure.chart { margin: 12px 0; min-height: 40px; overflow-x: auto; }
figure.failed { color: #c0392b; }
.scroll { max-height: 360px; overflow: auto; border: 1px solid #eee; }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.null { color: #aaa; }
.bad, td.alarm { color: #c0392b; font-weight: 600; }
.ok { color: #3a7d44; }
.none { color: #666; font-style: italic; }
ul.facts { margin: 4px 0; padding-left: 20px; }
details summary { cursor: pointer; color: #333; margin: 6px 0; }
footer { color: #777; font-size: 12px; padding: 24px 20px; }
`;
