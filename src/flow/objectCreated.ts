import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { MergeQueue } from '../pipeline/mergeQueue.ts';
import type { PipelineStarter } from '../ports.ts';
import { SourceReadError } from '../ingest/errors.ts';
import { ingestObject } from '../ingest/ingestObject.ts';
import { arrive } from './arrive.ts';
import type { IngestContext, IngestResult } from '../ingest/context.ts';
import { deadlineFor } from '../ingest/deadline.ts';

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
  /**
   * What the pipeline does with the batch. A converted batch is queued for its dataset's merge run, which is
   * started (`merge-started`) unless one is running and will take it (`merge-running`); `already-merged` for a
   * redelivered event of a merged batch. A batch handed off (status `converting`) has an execution of its own
   * (`started`, `already-started`) that converts, publishes and queues it. Unmatched files: `not-started`.
   */
  pipeline: 'started' | 'already-started' | 'not-started' | 'merge-started' | 'merge-running' | 'already-merged';
}

export interface IngestEventOptions {
  /** Starts the state machine for a handed-off batch or a merge run (absent: a handed-off batch is finished here). */
  pipeline?: PipelineStarter;
  /** Where a converted batch waits for its dataset's merge run (with `pipeline`, which starts the run). */
  queue?: MergeQueue;
  /**
   * Powertools idempotency (DynamoDB on AWS, FolderIdempotencyStore locally): however often and however
   * concurrently an object's event arrives, one invocation converts it; the others return at once.
   */
  idempotency?: BasePersistenceLayer;
  /** Milliseconds left in this invocation (Lambda's context): conversion here stops in time and is handed off. */
  remainingMs?: () => number;
}

/** Lambda's longest invocation. */
const MAX_INVOCATION_MS = 15 * 60_000;

interface ObjectIdentity {
  bucket: string;
  key: string;
  etag: string;
  versionId: string | null;
}

/**
 * Ingests every object of an S3 ObjectCreated event (its records, as adapters/aws/s3Events.ts reads them). All are
 * attempted; if any failed, the first error is thrown afterwards so that Lambda retries the event (ingest is
 * idempotent per object).
 */
export async function ingestObjects(
  ctx: IngestContext,
  records: ObjectCreatedRecord[],
  options: IngestEventOptions = {},
): Promise<IngestSummary[]> {
  const out: IngestSummary[] = [];
  const errors: Error[] = [];
  const convert = (id: ObjectIdentity) => ingestOne(ctx, id.key, options);
  const once = options.idempotency
    ? makeIdempotent(convert, {
        persistenceStore: options.idempotency,
        keyPrefix: 'landfall-ingest',
        config: new IdempotencyConfig({
          eventKeyJmesPath: '[bucket, key, etag, versionId]',
          expiresAfterSeconds: 24 * 3600,
          // A repeated delivery gets the first delivery's summary back, marked as such; nothing ran again.
          responseHook: (response) => ({ ...(response as object), alreadyIngested: true }) as never,
          // The in-progress record lapses when the invocation would have ended, so that a retry after a crash can
          // take over; outside Lambda, after Lambda's longest invocation.
          lambdaContext: {
            getRemainingTimeInMillis: options.remainingMs ?? (() => MAX_INVOCATION_MS),
          } as unknown as Context,
        }),
      })
    : convert;
  for (const rec of records) {
    if (rec.bucket !== ctx.landing.name) {
      errors.push(new Error(`event for bucket ${rec.bucket}, but this function ingests ${ctx.landing.name}`));
      continue;
    }
    try {
      const info = await ctx.landing.head(rec.key);
      if (!info) throw new SourceReadError(rec.key, `no such object in ${ctx.landing.name}`);
      out.push(await once({ bucket: rec.bucket, key: rec.key, etag: info.etag, versionId: info.versionId ?? null }));
    } catch (err) {
      if (err instanceof IdempotencyAlreadyInProgressError) {
        out.push({
          key: rec.key,
          dataset: '',
          batchId: '',
          status: 'in-progress-elsewhere',
          alreadyIngested: true,
          rowsRead: 0,
          rowsWritten: 0,
          rowsRejected: 0,
          files: 0,
          manifest: '',
          pipeline: 'not-started',
        });
        continue;
      }
      errors.push(err as Error);
    }
  }
  if (errors.length) throw errors[0];
  return out;
}

/** One object: converted here (within the time left) and published, or handed to the state machine. */
async function ingestOne(ctx: IngestContext, key: string, options: IngestEventOptions): Promise<IngestSummary> {
  const { pipeline, queue } = options;
  const deadline = options.remainingMs && pipeline ? deadlineFor(options.remainingMs()) : undefined;
  const { started, pipeline: status } = await arrive<IngestSummary['pipeline']>(
    ctx,
    key,
    {
      handedOff: async (h) => (pipeline ? pipeline.start(h) : 'not-started'),
      settled: async (s) => {
        const m = s.manifest;
        if (m.status === 'unmatched') {
          // A file no contract claims: the next discovery crawl shows its columns (a contract can be drafted from them).
          if (queue && !s.alreadyIngested) await queue.requestDiscovery();
          return 'not-started';
        }
        // Queued again on a redelivered event too: a crash between ingest and queue must not strand a batch. A batch
        // rejected whole is not merged, but its metrics (rejects, schema drift) are published by the merge run.
        return pipeline && queue
          ? queueBatch(queue, pipeline, { dataset: m.dataset, batchId: m.batchId, manifestKey: s.manifestKey })
          : 'not-started';
      },
    },
    { deadline },
  );
  if (started.kind === 'handedOff') {
    if (pipeline) {
      return {
        key,
        dataset: started.dataset,
        batchId: started.batchId,
        status: 'converting',
        alreadyIngested: false,
        rowsRead: 0,
        rowsWritten: 0,
        rowsRejected: 0,
        files: 0,
        manifest: started.manifestKey,
        pipeline: status,
      };
    }
    // No state machine to hand to (landfall invoke): finish every segment here.
    return summaryOf(key, await ingestObject(ctx, key), 'not-started');
  }
  return summaryOf(key, started, status);
}

function summaryOf(key: string, r: IngestResult, pipeline: IngestSummary['pipeline']): IngestSummary {
  const m = r.manifest;
  return {
    key,
    dataset: m.dataset,
    batchId: m.batchId,
    status: m.status,
    alreadyIngested: r.alreadyIngested,
    rowsRead: m.rowsRead,
    rowsWritten: m.rowsWritten,
    rowsRejected: m.rowsRejected,
    files: m.files.length,
    manifest: r.manifestKey,
    pipeline,
  };
}

/** A converted batch waits for its dataset's merge run, which is started unless one is running (or it was merged). */
export async function queueBatch(
  queue: MergeQueue,
  pipeline: PipelineStarter,
  b: { dataset: string; batchId: string; manifestKey: string },
): Promise<'merge-started' | 'merge-running' | 'already-merged'> {
  if ((await queue.enqueue(b)) === 'already-merged') return 'already-merged';
  return queue.kick(b.dataset, pipeline);
}

/** One message of the landing queue, read (adapters/aws/s3Events.ts): the S3 event's records, or why it has none. */
export type QueueMessage = { messageId: string } & ({ records: ObjectCreatedRecord[] } | { error: string });

/**
 * The landing queue: each SQS message carries an S3 event (S3 notifications to the queue, and the same messages
 * moved back from the dead-letter queue). Messages that fail are reported back to SQS (partial batch response):
 * retried after the visibility timeout, then moved to the dead-letter queue.
 */
export async function ingestMessages(
  ctx: IngestContext,
  messages: QueueMessage[],
  options: IngestEventOptions = {},
): Promise<{
  batchItemFailures: { itemIdentifier: string }[];
  ingested: IngestSummary[];
  failed: { messageId: string; error: string }[];
}> {
  const failed: { messageId: string; error: string }[] = [];
  const ingested: IngestSummary[] = [];
  for (const m of messages) {
    try {
      if ('error' in m) throw new TypeError(m.error);
      ingested.push(...(await ingestObjects(ctx, m.records, options)));
    } catch (err) {
      failed.push({ messageId: m.messageId, error: (err as Error).message });
    }
  }
  return { batchItemFailures: failed.map((f) => ({ itemIdentifier: f.messageId })), ingested, failed };
}
