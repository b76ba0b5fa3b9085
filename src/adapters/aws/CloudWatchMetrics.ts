import { PutMetricDataCommand, type CloudWatchClient, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { MetricDatum, MetricsPublisher } from '../../ports.ts';

export class CloudWatchMetrics implements MetricsPublisher {
  constructor(private readonly cw: CloudWatchClient) {}

  async publish(namespace: string, data: MetricDatum[]): Promise<void> {
    // PutMetricData takes at most 1000 data points per call.
    for (let i = 0; i < data.length; i += 1000) {
      await this.cw.send(
        new PutMetricDataCommand({
          Namespace: namespace,
          MetricData: data.slice(i, i + 1000).map((d) => ({ ...d, Unit: d.Unit as StandardUnit | undefined })),
        }),
      );
    }
  }
}
