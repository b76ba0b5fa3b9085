import type { MetricDatum, MetricsPublisher } from '../../ports.ts';
import { toEmf } from '../../pipeline/metrics.ts';

/** Metrics as Embedded Metric Format lines (CloudWatch reads them from logs; locally they are just printed). */
export class EmfMetrics implements MetricsPublisher {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  async publish(namespace: string, data: MetricDatum[]): Promise<void> {
    for (const line of toEmf(namespace, data, new Date())) this.write(line);
  }
}
