import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ingestS3Event, isSqsEvent, redriveSqsEvent, type IngestSummary } from '#src/convert/objectCreated.ts';
import { ingestConfigFromEnv, ingestContextFromConfig, pipelineStarterFromConfig } from '#src/wiring/aws.ts';

const logger = new Logger({ serviceName: 'landfall-ingest' });
const config = ingestConfigFromEnv(process.env);
const ctx = await ingestContextFromConfig(config);
const pipeline = pipelineStarterFromConfig(config);

/**
 * S3 ObjectCreated on the landing bucket -> raw Parquet, quarantine and manifest in the lake bucket, then the
 * pipeline. Messages from the dead-letter queue (redrive) carry the failed S3 event and go the same way.
 */
export async function handler(event: S3Event): Promise<IngestSummary[]>;
export async function handler(event: SQSEvent): Promise<SQSBatchResponse>;
export async function handler(event: S3Event | SQSEvent): Promise<IngestSummary[] | SQSBatchResponse> {
  if (isSqsEvent(event)) {
    const { batchItemFailures, ingested } = await redriveSqsEvent(ctx, event, pipeline);
    for (const r of ingested) logger.info('object ingested (redrive)', { ...r });
    if (batchItemFailures.length) logger.error('redrive failed for some messages; they stay in the queue', { batchItemFailures });
    return { batchItemFailures };
  }
  const results = await ingestS3Event(ctx, event, pipeline);
  for (const r of results) logger.info('object ingested', { ...r });
  return results;
}
