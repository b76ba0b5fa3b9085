import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ingestS3Event, isSqsEvent, redriveSqsEvent, type IngestSummary } from '#src/convert/objectCreated.ts';
import { idempotencyFromConfig, ingestConfigFromEnv, ingestContextFromConfig, mergeQueueFromConfig, pipelineStarterFromConfig } from '#src/wiring/aws.ts';

const logger = new Logger({ serviceName: 'landfall-ingest' });
const config = ingestConfigFromEnv(process.env);
const ctx = await ingestContextFromConfig(config);
const pipeline = pipelineStarterFromConfig(config);
const idempotency = idempotencyFromConfig(config);
const queue = mergeQueueFromConfig(config, ctx.lake);

/**
 * S3 ObjectCreated on the landing bucket -> raw Parquet, quarantine and manifest in the lake bucket, then the
 * pipeline. A file too large for one invocation (or cut into byte ranges) is handed to the state machine,
 * which converts it with the convert function. Messages from the dead-letter queue (redrive) carry the failed
 * S3 event and go the same way.
 */
export async function handler(event: S3Event, context?: Context): Promise<IngestSummary[]>;
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse>;
export async function handler(event: S3Event | SQSEvent, context?: Context): Promise<IngestSummary[] | SQSBatchResponse> {
  const options = { pipeline, queue, idempotency, remainingMs: context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis() : undefined };
  if (isSqsEvent(event)) {
    const { batchItemFailures, ingested } = await redriveSqsEvent(ctx, event, options);
    for (const r of ingested) logger.info('object ingested (redrive)', { ...r });
    if (batchItemFailures.length) logger.error('redrive failed for some messages; they stay in the queue', { batchItemFailures });
    return { batchItemFailures };
  }
  const results = await ingestS3Event(ctx, event, options);
  for (const r of results) logger.info(r.status === 'converting' ? 'object handed to the state machine to convert' : 'object ingested', { ...r });
  return results;
}
