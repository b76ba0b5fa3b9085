import type { MetricDatum, MetricsPublisher } from '../../ports.ts';

/** Metrics as Embedded Metric Format lines (CloudWatch reads them from logs; locally they are just printed). */
export class EmfMetrics implements MetricsPublisher {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  async publish(namespace: string, data: MetricDatum[]): Promise<void> {
    for (const line of toEmf(namespace, data, new Date())) this.write(line);
  }
}

/** The same metrics as Embedded Metric Format lines, which CloudWatch turns into metrics from any log. */
export function toEmf(namespace: string, data: MetricDatum[], now: Date): string[] {
  return data.map((d) => {
    const dims = d.Dimensions ?? [];
    return JSON.stringify({
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [dims.map((x) => x.Name)],
            Metrics: [{ Name: d.MetricName, Unit: d.Unit ?? 'None' }],
          },
        ],
      },
      ...Object.fromEntries(dims.map((x) => [x.Name, x.Value])),
      [d.MetricName]: d.Value,
    });
  });
}
