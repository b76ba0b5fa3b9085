import type { MetricDatum } from '../ports.ts';

export type { MetricDatum };

/** The same metrics as Embedded Metric Format lines, which CloudWatch turns into metrics from any log. */
export function toEmf(namespace: string, data: MetricDatum[], now: Date): string[] {
  return data.map((d) => {
    const dims = d.Dimensions ?? [];
    return JSON.stringify({
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [dims.map((x) => x.Name)], Metrics: [{ Name: d.MetricName, Unit: d.Unit ?? 'None' }] }],
      },
      ...Object.fromEntries(dims.map((x) => [x.Name, x.Value])),
      [d.MetricName]: d.Value,
    });
  });
}
