import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { ingestS3Event, type IngestSummary } from '#src/convert/objectCreated.ts';
import { ingestConfigFromEnv, ingestContextFromConfig, pipelineStarterFromConfig } from '#src/wiring/aws.ts';

const logger = new Logger({ serviceName: 'landfall-ingest' });
const config = ingestConfigFromEnv(process.env);
const ctx = await ingestContextFromConfig(config);
const pipeline = pipelineStarterFromConfig(config);

/** S3 ObjectCreated on the landing bucket -> raw Parquet, quarantine and manifest in the lake bucket. */
export const handler = async (event: S3Event): Promise<IngestSummary[]> => {
  const results = await ingestS3Event(ctx, event, pipeline);
  for (const r of results) logger.info('object ingested', { ...r });
  return results;
};
