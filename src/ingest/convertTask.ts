import { publishBatch, runSegment } from './batch.ts';
import { openedBatch } from './ingestObject.ts';
import type { IngestContext } from './context.ts';
import { readManifest, type Manifest } from './manifest.ts';
import { manifestKey } from '../lake/layout.ts';
import { deadlineFor } from './deadline.ts';

/** The convert function's input, as the state machine's ConvertSegment and PublishBatch states send it. */
export type ConvertTask =
  | { action: 'segment'; dataset: string; batchId: string; segment: number }
  | { action: 'publish'; dataset: string; batchId: string };

export type ConvertTaskResult =
  | { done: boolean; segment: number; runs: number; rowsRead: number }
  | {
      status: 'published' | 'rejected';
      manifestKey: string;
      rowsRead: number;
      rowsWritten: number;
      rowsRejected: number;
      files: number;
    }
  | { status: 'replanned'; segments: number[]; reason: string };

/** Runs one convert step; `remainingMs` (the invocation's time left) bounds a segment run. */
export async function handleConvertTask(
  ctx: IngestContext,
  task: ConvertTask,
  remainingMs?: number,
): Promise<ConvertTaskResult> {
  // A step retried after the batch was published finds its manifest (the staging records are gone by then).
  const mKey = manifestKey(task.dataset, task.batchId);
  const published = await readManifest(ctx.lake, mKey);
  if (published) {
    if (task.action === 'segment') return { done: true, segment: task.segment, runs: 0, rowsRead: 0 };
    return summary(published.status === 'published' ? 'published' : 'rejected', mKey, published);
  }
  const { contract, batch } = await openedBatch(ctx, task.dataset, task.batchId);
  if (task.action === 'segment') {
    const deadline = remainingMs !== undefined ? deadlineFor(remainingMs) : undefined;
    return runSegment(ctx, contract, batch, task.segment, deadline);
  }
  if (task.action !== 'publish') throw new TypeError(`unknown convert action ${(task as { action: string }).action}`);
  const out = await publishBatch(ctx, contract, batch);
  if (out.status === 'replanned') return out;
  return summary(out.status, out.manifestKey, out.manifest);
}

function summary(status: 'published' | 'rejected', manifestKey: string, m: Manifest): ConvertTaskResult {
  return {
    status,
    manifestKey,
    rowsRead: m.rowsRead,
    rowsWritten: m.rowsWritten,
    rowsRejected: m.rowsRejected,
    files: m.files.length,
  };
}
