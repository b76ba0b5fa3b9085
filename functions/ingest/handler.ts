import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { IngestSummary } from '#src/flow/objectCreated.ts';
import { ingestS3Event, ingestSqsEvent, isSqsEvent } from '#src/wiring/events.ts';
import {
  idempotencyFromConfig,
  ingestConfigFromEnv,
  ingestContextFromConfig,
  mergeQueueFromConfig,
  pipelineStarterFromConfig,
} from '#src/wiring/aws.ts';

const logger = new Logger({ serviceName: 'landfall-ingest' });
const config = ingestConfigFromEnv(process.env);
const ctx = await ingestContextFromConfig(config);
const pipeline = pipelineStarterFromConfig(config);
const idempotency = idempotencyFromConfig(config);
const queue = mergeQueueFromConfig(config, ctx.lake, ctx.contracts);

/**
 * The landing queue (S3 ObjectCreated events of the landing bucket, one per message) -> raw Parquet, quarantine
 * and manifest in the lake bucket; the batch is queued for its dataset's merge run. A file too large for one
 * invocation (or cut into byte ranges) is handed to the state machine, which converts it with the convert
 * function. An S3 event given directly (sam local invoke, tests) goes the same way.
 */
export async function handler(event: S3Event, context?: Context): Promise<IngestSummary[]>;
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse>;
export async function handler(
  event: S3Event | SQSEvent,
  context?: Context,
): Promise<IngestSummary[] | SQSBatchResponse> {
  const options = {
    pipeline,
    queue,
    idempotency,
    remainingMs: context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis() : undefined,
  };
  if (isSqsEvent(event)) {
    const { batchItemFailures, ingested, failed } = await ingestSqsEvent(ctx, event, options);
    for (const r of ingested)
      logger.info(r.status === 'converting' ? 'object handed to the state machine to convert' : 'object ingested', {
        ...r,
      });
    for (const f of failed)
      logger.error('ingest failed; SQS delivers the message again, then moves it to the dead-letter queue', { ...f });
    return { batchItemFailures };
  }
  const results = await ingestS3Event(ctx, event, options);
  for (const r of results)
    logger.info(r.status === 'converting' ? 'object handed to the state machine to convert' : 'object ingested', {
      ...r,
    });
  return results;
}
