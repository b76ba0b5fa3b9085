import type { IngestContext } from '../ingest/context.ts';
import { startIngest, type HandedOff, type Settled, type StartedIngest } from '../ingest/ingestObject.ts';

/** Where an object goes once its ingest has started: the pipeline on AWS (Step Functions), or the local runner. */
export interface ArrivalPipeline<R> {
  /** A batch the ingest did not finish: its execution converts the rest, publishes it and queues it. */
  handedOff(h: HandedOff): Promise<R>;
  /** A published object (or a duplicate, or one rejected whole): queued for its dataset's merge run. */
  settled(s: Settled): Promise<R>;
}

/**
 * An object's arrival, the one path from the landing zone to the pipeline (the ingest function, `landfall run`,
 * the demo): its ingest starts (converted here until `deadline`, or handed off), and the outcome goes to the
 * pipeline, by its kind.
 */
export async function arrive<R>(
  ctx: IngestContext,
  key: string,
  pipeline: ArrivalPipeline<R>,
  options: { deadline?: number; dataset?: string } = {},
): Promise<{ started: StartedIngest; pipeline: R }> {
  const started = await startIngest(ctx, key, options.deadline, options.dataset);
  return {
    started,
    pipeline: started.kind === 'handedOff' ? await pipeline.handedOff(started) : await pipeline.settled(started),
  };
}
