/**
 * The report's charts as Vega-Lite specifications, compiled here to Vega: the page carries only the Vega runtime,
 * which draws them as SVG. Dates (`YYYY-MM-DD`) are read as UTC days, so a chart shows the day the table shows
 * whatever the reader's time zone.
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Chart } from '../contracts/contract.ts';
import type { BatchRow, Row } from './reportData.ts';

export interface ChartSpec {
  id: string;
  title: string;
  /** The Vega specification the page renders. */
  vega: object;
}

const WIDTH = 860;
const HEIGHT = 240;

const base = (title: string) =>
  ({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 13 },
    width: WIDTH,
    height: HEIGHT,
    config: {
      font: 'system-ui, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 11 },
      legend: { orient: 'bottom' },
    },
  }) as const;

function toVega(id: string, spec: TopLevelSpec & { title: { text: string } }): ChartSpec {
  return { id, title: spec.title.text, vega: compile(spec).spec };
}

/** A day (`2017-11-07`) or an instant: how the x axis reads the chart's first column. */
function xEncoding(field: string, rows: Row[]) {
  const day = rows.every((r) => typeof r[field] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(r[field] as string));
  return day
    ? { field, type: 'temporal', timeUnit: 'utcyearmonthdate', title: field }
    : { field, type: 'temporal', scale: { type: 'utc' }, title: field };
}

/** A contract's chart of a view (contract.ts: chartSchema) over its rows. */
export function viewChart(id: string, c: Chart, rows: Row[]): ChartSpec {
  const x = xEncoding(c.x, rows);
  const scale = c.scale === 'log' ? { type: 'symlog' } : {};
  const tooltipX =
    'timeUnit' in x ? { ...x, format: '%Y-%m-%d' } : { ...x, format: '%Y-%m-%d %H:%M:%S', formatType: 'utc' };
  const measureLayer = (measures: string[], mark: Chart['mark'], dashed: boolean) => ({
    transform: [{ fold: measures, as: ['measure', 'value'] }],
    mark: {
      type: mark,
      tooltip: true,
      ...(mark === 'line' ? { point: rows.length <= 60, strokeDash: dashed ? [5, 3] : [1, 0] } : {}),
    },
    encoding: {
      x,
      y: {
        field: 'value',
        type: 'quantitative',
        scale,
        title: measures.join(', '),
        ...(mark === 'bar' && measures.length > 1 ? { stack: null } : {}),
      },
      color: { field: 'measure', type: 'nominal', title: null },
      ...(mark === 'bar' && measures.length > 1 ? { xOffset: { field: 'measure' } } : {}),
      tooltip: [tooltipX, { field: 'measure', title: 'measure' }, { field: 'value', type: 'quantitative' }],
    },
  });
  let spec: object;
  if (c.color) {
    spec = {
      mark: { type: c.mark, tooltip: true, ...(c.mark === 'line' ? { point: rows.length <= 200 } : {}) },
      encoding: {
        x,
        y: { field: c.y[0], type: 'quantitative', scale },
        color: { field: c.color, type: 'nominal', sort: { field: c.rankBy ?? c.y[0], op: 'sum', order: 'descending' } },
        tooltip: [
          tooltipX,
          { field: c.color },
          ...c.y.map((f) => ({ field: f, type: 'quantitative' })),
          ...(c.rankBy && !c.y.includes(c.rankBy) ? [{ field: c.rankBy, type: 'quantitative' }] : []),
        ],
      },
    };
  } else if (c.y2) {
    spec = {
      layer: [measureLayer(c.y, c.mark, false), measureLayer([c.y2], 'line', true)],
      resolve: { scale: { y: 'independent' } },
    };
  } else {
    spec = measureLayer(c.y, c.mark, false);
  }
  return toVega(id, { ...base(c.title), data: { values: rows }, ...spec } as never);
}

const batchLabel = (b: BatchRow) => `${b.finishedAt.slice(5, 19).replace('T', ' ')} ${b.batchId.slice(0, 7)}`;

/** Rows written, rejected and blank per batch, oldest batch first. */
export function rowsPerBatchChart(id: string, dataset: string, batches: BatchRow[]): ChartSpec {
  const values = batches.flatMap((b) =>
    (
      [
        ['written', b.rowsWritten],
        ['rejected', b.rowsRejected],
        ['blank', b.rowsBlank],
      ] as const
    ).map(([kind, rows]) => ({ batch: batchLabel(b), batchId: b.batchId, source: b.source, kind, rows })),
  );
  return toVega(id, {
    ...base(`${dataset}: rows per batch`),
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: {
        field: 'batch',
        type: 'ordinal',
        sort: null,
        title: 'batch (finished, UTC)',
        axis: { labelAngle: -35, labelOverlap: true },
      },
      y: { field: 'rows', type: 'quantitative', title: 'rows' },
      color: {
        field: 'kind',
        type: 'nominal',
        title: null,
        scale: { domain: ['written', 'rejected', 'blank'], range: ['#3a7d44', '#c0392b', '#9aa0a6'] },
      },
      tooltip: [
        { field: 'batchId', title: 'batch' },
        { field: 'source' },
        { field: 'kind' },
        { field: 'rows', type: 'quantitative' },
      ],
    },
  } as never);
}

/** Rejected rows per batch by reason (bars), and the reject ratio against the contract's threshold (lines, %). */
export function rejectsChart(id: string, dataset: string, batches: BatchRow[]): ChartSpec {
  const bars = batches.flatMap((b) =>
    Object.entries(b.rejectsByReason).map(([reason, rows]) => ({
      batch: batchLabel(b),
      batchId: b.batchId,
      reason,
      rows,
    })),
  );
  const ratios = batches.flatMap((b) => [
    { batch: batchLabel(b), batchId: b.batchId, measure: 'reject ratio %', pct: round(100 * b.rejectRatio) },
    { batch: batchLabel(b), batchId: b.batchId, measure: 'threshold %', pct: round(100 * b.maxRejectRatio) },
  ]);
  const x = {
    field: 'batch',
    type: 'ordinal',
    sort: batches.map(batchLabel),
    title: 'batch (finished, UTC)',
    axis: { labelAngle: -35, labelOverlap: true },
  };
  return toVega(id, {
    ...base(`${dataset}: rejected rows by reason, and the reject ratio against its threshold`),
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x,
          y: { field: 'rows', type: 'quantitative', title: 'rejected rows' },
          color: { field: 'reason', type: 'nominal', title: 'reason' },
          tooltip: [{ field: 'batchId', title: 'batch' }, { field: 'reason' }, { field: 'rows', type: 'quantitative' }],
        },
      },
      {
        data: { values: ratios },
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x,
          y: { field: 'pct', type: 'quantitative', title: 'reject ratio and threshold, %' },
          strokeDash: {
            field: 'measure',
            type: 'nominal',
            title: null,
            scale: {
              domain: ['reject ratio %', 'threshold %'],
              range: [
                [1, 0],
                [5, 3],
              ],
            },
          },
          color: { value: '#333' },
          tooltip: [
            { field: 'batchId', title: 'batch' },
            { field: 'measure' },
            { field: 'pct', type: 'quantitative', title: '%' },
          ],
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  } as never);
}

/** Each Parquet file's size (a point, MB on a log scale) against the band the writer aims at (a shaded band). */
export function fileSizesChart(id: string, dataset: string, batches: BatchRow[], band: [number, number]): ChartSpec {
  const MB = 1024 * 1024;
  const files = batches.flatMap((b) =>
    b.files.map((f, i) => ({
      file: `${batchLabel(b)} #${i}`,
      key: f.key,
      mb: Number((f.bytes / MB).toPrecision(4)),
      place: i === b.files.length - 1 ? 'last file of its batch' : 'rolled at the target',
    })),
  );
  const x = {
    field: 'file',
    type: 'ordinal',
    sort: null,
    title: 'file (batch, number)',
    axis: { labelAngle: -35, labelOverlap: true },
  };
  return toVega(id, {
    ...base(
      `${dataset}: Parquet file sizes against the ${Math.round(band[0] / MB)}-${Math.round(band[1] / MB)} MB target`,
    ),
    layer: [
      {
        data: { values: [{ lo: round(band[0] / MB), hi: round(band[1] / MB) }] },
        mark: { type: 'rect', color: '#3a7d44', opacity: 0.22 },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: files },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9, tooltip: true },
        encoding: {
          x,
          y: {
            field: 'mb',
            type: 'quantitative',
            title: 'MB (log scale)',
            scale: { type: 'log' },
            axis: { tickCount: 6 },
          },
          color: {
            field: 'place',
            type: 'nominal',
            title: null,
            scale: { domain: ['rolled at the target', 'last file of its batch'], range: ['#2f6f9f', '#8fb3d0'] },
          },
          tooltip: [
            { field: 'key', title: 'file' },
            { field: 'mb', type: 'quantitative', title: 'MB' },
            { field: 'place' },
          ],
        },
      },
    ],
  } as never);
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
