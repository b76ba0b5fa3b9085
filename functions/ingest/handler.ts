import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { ingestS3Event, type IngestSummary } from '#src/convert/objectCreated.ts';
import { ingestConfigFromEnv, ingestContextFromConfig } from '#src/wiring/aws.ts';

const logger = new Logger({ serviceName: 'landfall-ingest' });
const ctx = await ingestContextFromConfig(ingestConfigFromEnv(process.env));

/** S3 ObjectCreated on the landing bucket -> raw Parquet, quarantine and manifest in the lake bucket. */
export const handler = async (event: S3Event): Promise<IngestSummary[]> => {
  const results = await ingestS3Event(ctx, event);
  for (const r of results) logger.info('object ingested', { ...r });
  return results;
};
