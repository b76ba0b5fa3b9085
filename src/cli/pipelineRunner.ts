import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDbEngine } from '../adapters/local/DuckDbEngine.ts';
import { MemoryMergeLease } from '../adapters/local/MemoryMergeLease.ts';
import type { StartedIngest } from '../ingest/ingestObject.ts';
import type { IngestContext, IngestResult } from '../ingest/context.ts';
import { queueBatch } from '../flow/objectCreated.ts';
import { readManifest } from '../ingest/manifest.ts';
import { formatAlarm, type Alarm } from '../pipeline/alarms.ts';
import { checkFreshness } from '../pipeline/freshness.ts';
import { PipelineFailedError } from '../pipeline/errors.ts';
import {
  runPipelineLocally,
  type LocalWarehouse,
  type MergeRunInput,
  type PipelineInput,
  type PipelineOutcome,
} from '../adapters/local/localPipeline.ts';
import { mergeGroups } from '../pipeline/mergeGroups.ts';
import { MergeQueue } from '../pipeline/mergeQueue.ts';
import { handlePipelineTask } from '../pipeline/pipelineTask.ts';
import type { PipelineStarter } from '../ports.ts';
import type { LocalLake } from '../wiring/local.ts';
import { runFiles, type FileOutcome } from './runFiles.ts';
import { openWarehouse } from './warehouse.ts';

/** A warehouse the runner holds between commands: let go after each pipeline run, closed at the end. */
export interface RunnerWarehouse extends LocalWarehouse {
  release(): Promise<void>;
  close(): Promise<void>;
}

export interface PipelineReport {
  lines: string[];
  failed: boolean;
  /** The batch's published result (read from its manifest for a batch the state machine converted). */
  result?: IngestResult;
}

/**
 * What S3 -> ingest -> Step Functions does on AWS, on the lake's DuckDB warehouse. A converted batch is queued
 * and its dataset's merge run started, as the ingest function does; the run itself waits until `mergeWaiting()`,
 * as a run on AWS takes every batch that lands while it starts: `landfall run` of a folder of many files of a
 * dataset merges them in one MERGE. A batch handed off to convert runs its own execution at once (convert,
 * publish, queue, and lead the merge if no run is waiting). Metrics go to `<lake>/metrics.emf.log`, alarms to
 * `<lake>/alarms.log`.
 */
export class LocalPipelineRunner<E extends RunnerWarehouse = DuckDbEngine> {
  readonly queue: MergeQueue;
  private readonly waiting: { dataset: string; name: string }[] = [];

  /** The runner over `engine`: the lake's DuckDB warehouse (`open`), or another one that plays Athena (the Trino lane). */
  constructor(
    private readonly lake: LocalLake,
    readonly engine: E,
    /** Each Task state the executions run, with its input (a test hook). */
    private readonly observe?: (state: string, input: unknown) => void,
  ) {
    this.queue = new MergeQueue(lake.lake, new MemoryMergeLease(), () => new Date(), mergeGroups(lake.contracts));
  }

  static async open(lake: LocalLake): Promise<LocalPipelineRunner> {
    return new LocalPipelineRunner(lake, await openWarehouse(lake));
  }

  /** Files ingested one by one, then every dataset's merge run: what `landfall run` and the demo do. */
  async run(
    files: string[],
    dataset: string | undefined,
    log: (s: string) => void,
  ): Promise<{ outcomes: FileOutcome[]; mergeFailed: boolean }> {
    const outcomes = await runFiles(this.lake, files, dataset, log, (r, ctx) => this.afterIngest(r, ctx));
    const merged = await this.mergeWaiting();
    for (const l of merged.lines) log(l);
    return { outcomes, mergeFailed: merged.failed };
  }

  /** The starter the ingest function has on AWS: a merge run started here waits in `waiting`. */
  private readonly starter: PipelineStarter = {
    start: () => Promise.reject(new Error('a handed-off batch runs its execution in afterIngest')),
    startMerge: async ({ dataset }, name) => {
      this.waiting.push({ dataset, name });
    },
    isRunning: async (name) => this.waiting.some((w) => w.name === name),
  };

  /** After each ingest: queue a converted batch and start its dataset's merge run, or run a handed-off batch's execution. */
  async afterIngest(r: StartedIngest, ingest?: IngestContext): Promise<PipelineReport> {
    if (r.kind === 'handedOff') {
      const out = await this.execute(r, ingest);
      const manifest = await readManifest(this.lake.lake, r.manifestKey);
      return {
        ...out,
        result: manifest ? { manifest, manifestKey: r.manifestKey, alreadyIngested: false } : undefined,
      };
    }
    const m = r.manifest;
    if (m.status === 'unmatched') return { lines: [], failed: false };
    const queued = await queueBatch(this.queue, this.starter, {
      dataset: m.dataset,
      batchId: m.batchId,
      manifestKey: r.manifestKey,
    });
    if (queued === 'already-merged') return { lines: ['  pipeline:   already merged'], failed: false };
    return { lines: [`  pipeline:   queued for the merge run of ${m.dataset}`], failed: false };
  }

  /** Queues a batch again although it was merged (`landfall replay`), and starts its dataset's merge run. */
  async requeue(b: { dataset: string; batchId: string; manifestKey: string }): Promise<void> {
    await this.queue.requeue(b);
    await this.queue.kick(b.dataset, this.starter);
  }

  /**
   * `landfall maintain`: what the daily schedule does on AWS (every group's next round maintains its tables), then
   * the runs. DuckDB has no per-table compaction: a maintained round runs CHECKPOINT.
   */
  async maintain(): Promise<{ lines: string[]; failed: boolean }> {
    const ctx = {
      lake: this.lake.lake,
      contracts: this.lake.contracts,
      dialect: this.engine.dialect,
      names: this.engine.names,
      queue: this.queue,
      starter: this.starter,
    };
    await handlePipelineTask(ctx, { action: 'schedule-maintenance' });
    return this.mergeWaiting();
  }

  /** Runs every merge run started so far, one dataset after another; each takes all of its dataset's pending batches. */
  async mergeWaiting(): Promise<{ lines: string[]; failed: boolean }> {
    const lines: string[] = [];
    let failed = false;
    while (this.waiting.length) {
      const run = this.waiting[0];
      const report = await this.execute({ dataset: run.dataset, merge: true }, undefined, run.name);
      this.waiting.shift();
      lines.push(...report.lines);
      failed ||= report.failed;
    }
    return { lines, failed };
  }

  private async execute(
    input: PipelineInput | MergeRunInput,
    ingest?: IngestContext,
    name?: string,
  ): Promise<PipelineReport> {
    const emf: string[] = [];
    try {
      const out = await runPipelineLocally(
        {
          lake: this.lake.lake,
          contracts: this.lake.contracts,
          engine: this.engine,
          now: () => new Date(),
          emit: (l) => emf.push(l),
          ingest,
          queue: this.queue,
          observe: this.observe,
        },
        input,
        name,
      );
      return { lines: [...describeRounds(input.dataset, out), ...(await this.record(out.alarms, emf))], failed: false };
    } catch (err) {
      if (!(err instanceof PipelineFailedError)) throw err;
      return {
        lines: [
          `${input.dataset}: PIPELINE FAILED (${err.error}): ${err.causeText}`,
          `  nothing is lost: the batches stay pending; fix the cause, then run any file of ${input.dataset} again or landfall replay ${input.dataset} BATCH`,
          ...(await this.record(err.alarms as Alarm[], emf)),
        ],
        failed: true,
      };
    } finally {
      // Held only for the pipeline's steps: another landfall command (a query, a run) gets the warehouse between them.
      await this.engine.release();
    }
  }

  /** The dataset-not-refreshed alarm, evaluated over every manifest in the lake (the freshness function's check). */
  async freshness(now = new Date()): Promise<string[]> {
    return this.record(await checkFreshness(this.lake.lake, this.lake.contracts, now), []);
  }

  private async record(alarms: Alarm[], emf: string[]): Promise<string[]> {
    if (emf.length) await appendFile(join(this.lake.root, 'metrics.emf.log'), emf.map((l) => `${l}\n`).join(''));
    const lines = alarms.map(formatAlarm);
    if (lines.length)
      await appendFile(
        join(this.lake.root, 'alarms.log'),
        lines.map((l) => `${new Date().toISOString()} ${l}\n`).join(''),
      );
    return lines.map((l) => `  ${l}`);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

/** `<dataset>: N batch(es) merged in one MERGE` and what the run wrote, one line per round. */
function describeRounds(dataset: string, out: PipelineOutcome): string[] {
  const maintained = out.rounds
    .filter((p) => p.maintain)
    .map((p) => `${dataset}: maintained (${p.maintenance.map((m) => m.sql).join('; ') || 'nothing to do'})`);
  const written = [
    ...new Set(out.steps.filter((s) => /^(merge|summary|view):/.test(s)).map((s) => s.replace(/^[a-z]+:/, ''))),
  ];
  return [
    ...maintained,
    ...out.rounds
      .filter((p) => p.taken.length)
      .map((p) => {
        const merged = p.batches.filter((b) => b.status === 'published').length;
        const skipped = p.batches.length - merged;
        // A run is named by its merge group's first dataset: the line names the datasets whose batches it took.
        const own = [...new Set(p.batches.map((b) => b.dataset))].sort();
        const group = own.length > 1 || (own.length === 1 && own[0] !== dataset) || p.merges.length > 1;
        return `${own.join(', ') || dataset}: ${merged} batch(es) merged, one MERGE per dataset${skipped ? ` (${skipped} rejected whole: metrics only)` : ''}${group ? ` (merge group ${dataset})` : ''}\n  pipeline:   ${written.join(', ') || 'nothing to merge'}`;
      }),
  ];
}
