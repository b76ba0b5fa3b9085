import type { S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PipelineStarter } from '../ports.ts';
import { ingestObject, type IngestContext } from './ingestObject.ts';

export interface ObjectCreatedRecord {
  bucket: string;
  /** Decoded object key (S3 events carry keys URL-encoded, spaces as '+'). */
  key: string;
}

export interface IngestSummary {
  key: string;
  dataset: string;
  batchId: string;
  status: string;
  alreadyIngested: boolean;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  files: number;
  manifest: string;
  /** Whether the pipeline state machine was started for the batch (not for unconverted files). */
  pipeline: 'started' | 'already-started' | 'not-started';
}

export function objectCreatedRecords(event: S3Event): ObjectCreatedRecord[] {
  if (!Array.isArray(event?.Records)) throw new TypeError('not an S3 event: no Records array');
  return event.Records.filter((r) => r.eventName?.startsWith('ObjectCreated:')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
  }));
}

/**
 * Ingests every object of an S3 ObjectCreated event. All records are attempted; if any failed, the first
 * error is thrown afterwards so that Lambda retries the event (ingest is idempotent per object).
 */
export async function ingestS3Event(ctx: IngestContext, event: S3Event, pipeline?: PipelineStarter): Promise<IngestSummary[]> {
  const out: IngestSummary[] = [];
  const errors: Error[] = [];
  for (const rec of objectCreatedRecords(event)) {
    if (rec.bucket !== ctx.landing.name) {
      errors.push(new Error(`event for bucket ${rec.bucket}, but this function ingests ${ctx.landing.name}`));
      continue;
    }
    try {
      const r = await ingestObject(ctx, rec.key);
      const m = r.manifest;
      // Started again on a redelivered event too: a crash between ingest and start must not strand a batch.
      const started = pipeline && m.status === 'published'
        ? await pipeline.start({ dataset: m.dataset, batchId: m.batchId, manifestKey: r.manifestKey })
        : 'not-started';
      out.push({
        key: rec.key, dataset: m.dataset, batchId: m.batchId, status: m.status, alreadyIngested: r.alreadyIngested,
        rowsRead: m.rowsRead, rowsWritten: m.rowsWritten, rowsRejected: m.rowsRejected, files: m.files.length, manifest: r.manifestKey,
        pipeline: started,
      });
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (errors.length) throw errors[0];
  return out;
}

/**
 * Redrive from the dead-letter queue: each SQS message is a Lambda on-failure destination record whose
 * `requestPayload` is the S3 event that failed. Messages that fail again are reported back to SQS (partial
 * batch response) and stay in the queue.
 */
export async function redriveSqsEvent(ctx: IngestContext, event: SQSEvent, pipeline?: PipelineStarter): Promise<SQSBatchResponse & { ingested: IngestSummary[] }> {
  const failures: { itemIdentifier: string }[] = [];
  const ingested: IngestSummary[] = [];
  for (const m of event.Records) {
    try {
      const body = JSON.parse(m.body) as { requestPayload?: S3Event } & Partial<S3Event>;
      const s3Event = body.requestPayload ?? (body.Records ? (body as S3Event) : null);
      if (!s3Event) throw new TypeError(`message ${m.messageId} carries no S3 event`);
      ingested.push(...(await ingestS3Event(ctx, s3Event, pipeline)));
    } catch {
      failures.push({ itemIdentifier: m.messageId });
    }
  }
  return { batchItemFailures: failures, ingested };
}

export function isSqsEvent(event: unknown): event is SQSEvent {
  const first = (event as { Records?: { eventSource?: string }[] })?.Records?.[0];
  return first?.eventSource === 'aws:sqs';
}
