/**
 * One step of `landfall scale` in its own process, as one Lambda invocation would run it, so that its peak RSS
 * is its own. Prints one JSON line: what the step returned, seconds and peak RSS.
 *   whole   <work> <key> <threads>                    one uninterrupted conversion (no ranges, no deadline)
 *   start   <work> <key> <threads> <budgetMs>         the ingest function's part: plans, converts until the budget
 *   segment <work> <batchId> <segment> <threads> <budgetMs>   one convert-function run of a segment
 *   publish <work> <batchId> <threads>                the publish step
 *   run     <work> <file> <threads> <warehouseMb>     `landfall run` end to end: convert, then MERGE by key and views
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { handleConvertTask } from '../ingest/convertTask.ts';
import { peakRssBytes } from './peakRss.ts';
import { runSegment } from '../ingest/batch.ts';
import { ingestObject, openedBatch, startIngest } from '../ingest/ingestObject.ts';
import type { IngestContext } from '../ingest/context.ts';
import { LocalPipelineRunner } from '../cli/pipelineRunner.ts';
import { ingestContext, openLocalLake } from '../wiring/local.ts';
import { EVENTS } from './benchData.ts';

const [step, work, ...args] = process.argv.slice(2);

async function context(threads: string, rangeBytes: number): Promise<IngestContext> {
  const contracts = join(work, 'contracts');
  await mkdir(contracts, { recursive: true });
  await writeFile(join(contracts, `${EVENTS.dataset}.yaml`), EVENTS.contract);
  const lake = await openLocalLake({
    root: join(work, 'lake'),
    contractsDir: contracts,
    settings: { threads: Number(threads), rangeBytes },
  });
  return ingestContext(lake);
}

const started = process.hrtime.bigint();
let result: unknown;
const RANGE = Number(process.env.LANDFALL_SCALE_RANGE_BYTES ?? 1024 * 1024 * 1024);
if (step === 'whole') {
  const [key, threads] = args;
  const r = await ingestObject(await context(threads, 0), key);
  result = { manifestKey: r.manifestKey, rows: r.manifest.rowsWritten, files: r.manifest.files.length };
} else if (step === 'start') {
  const [key, threads, budget] = args;
  const r = await startIngest(await context(threads, RANGE), key, Date.now() + Number(budget));
  result = r.kind === 'handedOff' ? { handOff: r } : { manifestKey: r.manifestKey, rows: r.manifest.rowsWritten };
} else if (step === 'segment') {
  const [batchId, segment, threads, budget] = args;
  const ctx = await context(threads, RANGE);
  const { contract, batch } = await openedBatch(ctx, EVENTS.dataset, batchId);
  result = await runSegment(
    ctx,
    contract,
    batch,
    Number(segment),
    Number(budget) > 0 ? Date.now() + Number(budget) : undefined,
  );
} else if (step === 'run') {
  const [file, threads, warehouseMb] = args;
  const contracts = join(work, 'contracts');
  await mkdir(contracts, { recursive: true });
  // Keyed, so that the MERGE deduplicates (a window over every row) and joins: DuckDB's heaviest local work.
  await writeFile(join(contracts, `${EVENTS.dataset}.yaml`), `${EVENTS.contract}key: [event_id]\n`);
  const lake = await openLocalLake({
    root: join(work, 'lake'),
    contractsDir: contracts,
    settings: { threads: Number(threads), rangeBytes: 0 },
    warehouseMemoryMb: Number(warehouseMb),
  });
  const runner = await LocalPipelineRunner.open(lake);
  try {
    const lines: string[] = [];
    const { outcomes, mergeFailed } = await runner.run([file], EVENTS.dataset, (l) => lines.push(l));
    const curated = mergeFailed
      ? null
      : (await runner.engine.query(`SELECT count(*)::BIGINT AS n FROM curated.${EVENTS.dataset}`)).rows[0].n;
    result = {
      rows: outcomes[0].result?.manifest.rowsWritten,
      curated: Number(curated),
      mergeFailed,
      ...(mergeFailed ? { lines } : {}),
    };
  } finally {
    await runner.close();
  }
} else if (step === 'publish') {
  const [batchId, threads] = args;
  result = await handleConvertTask(await context(threads, RANGE), {
    action: 'publish',
    dataset: EVENTS.dataset,
    batchId,
  });
} else {
  throw new Error(`unknown step ${step}`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ step, result, seconds, peakRssBytes: peakRssBytes() })}\n`);
