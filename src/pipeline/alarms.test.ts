import { describe, expect, it } from 'vitest';
import { contractSchema } from '../contracts/contractSchema.ts';
import type { Manifest } from '../ingest/manifest.ts';
import { formatAlarm, metricAlarms, staleDatasets } from './alarms.ts';

const contract = (dataset: string, every?: string) =>
  contractSchema.parse({
    dataset,
    columns: [{ name: 'a', type: 'string' }],
    ...(every ? { refresh: { expectedEvery: every } } : {}),
  });
const manifest = (dataset: string, finishedAt: string, status = 'published') =>
  ({ dataset, finishedAt, status }) as Manifest;

describe('alarms', () => {
  it('reports datasets older than their expected refresh interval, and only those that ever had data', () => {
    const now = new Date('2026-11-22T12:00:00Z');
    const alarms = staleDatasets(
      [contract('clicks', '1h'), contract('orders', '1d'), contract('never', '1h'), contract('unbounded')],
      [
        manifest('clicks', '2026-11-22T08:30:00Z'),
        manifest('clicks', '2026-11-22T09:00:00Z'),
        manifest('orders', '2026-11-22T01:00:00Z'),
        manifest('unbounded', '2020-01-01T00:00:00Z'),
        manifest('orders', '2026-11-22T11:59:00Z', 'rejected'),
      ],
      now,
    );
    expect(alarms.map(formatAlarm)).toEqual(['ALARM stale-dataset clicks last refreshed 3h ago > 1h']);
  });

  it("names the dataset whose batch raised reject-ratio or schema-drift, not the merge group's first", () => {
    const facts = [
      { dataset: 'olist_customers', rejectRatio: 0, maxRejectRatio: 0.01, thresholdExceeded: false },
      {
        dataset: 'olist_sellers',
        rejectRatio: 0.2,
        maxRejectRatio: 0.01,
        thresholdExceeded: true,
        drift: 'extra x (warn: accepted)',
      },
      { dataset: 'olist_sellers', rejectRatio: 0.5, maxRejectRatio: 0.01, thresholdExceeded: true },
    ];
    const alarms = metricAlarms(
      [
        { MetricName: 'RejectThresholdExceeded', Value: 2 },
        { MetricName: 'SchemaDrift', Value: 1 },
      ],
      { dataset: 'olist_customers', batches: facts },
    );
    expect(alarms.map(formatAlarm)).toEqual([
      'ALARM reject-ratio olist_sellers 50.0% > 1.00%',
      'ALARM schema-drift olist_sellers extra x (warn: accepted)',
    ]);
  });

  it('raises pipeline-failed and reject-ratio from the metric data the state machine publishes', () => {
    const failed = metricAlarms(
      [
        { MetricName: 'PipelineFailed', Value: 1 },
        { MetricName: 'PipelineFailed', Value: 1, Dimensions: [{ Name: 'Dataset', Value: 'x' }] },
      ],
      { dataset: 'x', cause: 'merge: boom' },
    );
    expect(failed.map(formatAlarm)).toEqual(['ALARM pipeline-failed x merge: boom']);
    const ratio = metricAlarms([{ MetricName: 'RejectThresholdExceeded', Value: 1 }], {
      dataset: 'olist_orders',
      batches: [{ dataset: 'olist_orders', rejectRatio: 0.032, maxRejectRatio: 0.01, thresholdExceeded: true }],
    });
    expect(ratio.map(formatAlarm)).toEqual(['ALARM reject-ratio olist_orders 3.20% > 1.00%']);
    expect(
      metricAlarms(
        [
          { MetricName: 'RejectThresholdExceeded', Value: 0 },
          { MetricName: 'RowsIngested', Value: 5 },
        ],
        { dataset: 'x' },
      ),
    ).toEqual([]);
  });
});
