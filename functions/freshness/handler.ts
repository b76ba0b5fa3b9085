import { Logger } from '@aws-lambda-powertools/logger';
import { formatAlarm, type Alarm } from '#src/pipeline/alarms.ts';
import { checkFreshness } from '#src/pipeline/freshness.ts';
import { freshnessConfigFromEnv, freshnessContextFromConfig } from '#src/wiring/aws.ts';

const logger = new Logger({ serviceName: 'landfall-freshness' });
const ctx = await freshnessContextFromConfig(freshnessConfigFromEnv(process.env));

/** Scheduled: counts the datasets not refreshed within their contract's interval (the StaleDatasets alarm). */
export const handler = async (): Promise<Alarm[]> => {
  const stale = await checkFreshness(ctx.lake, ctx.contracts, new Date());
  await ctx.metrics.publish('Landfall', [{ MetricName: 'StaleDatasets', Unit: 'Count', Value: stale.length }]);
  for (const a of stale) logger.warn(formatAlarm(a), { ...a });
  return stale;
};
