import type { S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { objectCreatedRecords, queueMessages } from '../adapters/aws/s3Events.ts';
import { type IngestEventOptions, type IngestSummary, ingestMessages, ingestObjects } from '../flow/objectCreated.ts';
import type { IngestContext } from '../ingest/context.ts';

/** An S3 ObjectCreated event (sam local invoke, tests, s3rver): its objects ingested, each exactly once. */
export function ingestS3Event(
  ctx: IngestContext,
  event: S3Event,
  options: IngestEventOptions = {},
): Promise<IngestSummary[]> {
  return ingestObjects(ctx, objectCreatedRecords(event), options);
}

/** A batch of the landing queue's messages, with the partial batch response SQS expects. */
export function ingestSqsEvent(
  ctx: IngestContext,
  event: SQSEvent,
  options: IngestEventOptions = {},
): Promise<SQSBatchResponse & { ingested: IngestSummary[]; failed: { messageId: string; error: string }[] }> {
  return ingestMessages(ctx, queueMessages(event), options);
}

export { isSqsEvent } from '../adapters/aws/s3Events.ts';
