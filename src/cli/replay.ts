import { parseArgs } from 'node:util';
import { readManifest } from '../ingest/manifest.ts';
import { manifestKey } from '../lake/layout.ts';
import { openLocalLake } from '../wiring/local.ts';
import { LocalPipelineRunner } from './pipelineRunner.ts';

/**
 * `landfall replay DATASET BATCH`: the batch's pipeline again. Every step is safe to repeat (idempotent DDL, a
 * MERGE that changes nothing the second time, summaries recomputed), so this is the recovery after a failed run.
 * Locally the batch is queued again (even if it was merged) and its dataset's merge run takes it; with
 * `--state-machine ARN` it starts an execution for the batch on AWS, named `<dataset>-<batch>` or `-rN` (a name is
 * kept 90 days), with the input of the batch's first execution if it had one, marked `again`: the execution
 * queues the batch again and leads its dataset's merge run, or leaves it to the run that is going.
 */
export async function replay(
  args: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      lake: { type: 'string', default: '.landfall' },
      contracts: { type: 'string' },
      'state-machine': { type: 'string' },
    },
  });
  const [dataset, batchId] = positionals;
  if (!dataset || !batchId)
    throw new Error(
      'usage: landfall replay [--lake DIR | --state-machine ARN] DATASET BATCH (the batch id is in the manifest, the alarm and the execution name)',
    );

  if (values['state-machine']) {
    const { SFNClient } = await import('@aws-sdk/client-sfn');
    const { SfnPipelineStarter } = await import('../adapters/aws/SfnPipelineStarter.ts');
    const starter = new SfnPipelineStarter(new SFNClient({}), values['state-machine']);
    // A handed-off batch's first execution carries its byte ranges; a batch the ingest function converted had none.
    const first = await starter.firstInput(dataset, batchId).catch((err: Error) => {
      if (err.name === 'ExecutionDoesNotExist') return null;
      throw err;
    });
    const input = { ...(first ?? { dataset, batchId, manifestKey: manifestKey(dataset, batchId) }), again: true };
    const { status, name } = await starter.startAttempt(input, { again: true });
    out(status === 'started' ? `started ${name}` : `${name} is still running: nothing started`);
    return 0;
  }

  const lake = await openLocalLake({ root: values.lake, contractsDir: values.contracts });
  const key = manifestKey(dataset, batchId);
  const manifest = await readManifest(lake.lake, key);
  if (!manifest)
    throw new Error(
      `no manifest ${key} in ${lake.root}: the batch was never published (run its file again with landfall run)`,
    );
  const runner = await LocalPipelineRunner.open(lake);
  try {
    await runner.requeue({ dataset, batchId, manifestKey: key });
    const report = await runner.mergeWaiting();
    out(`replayed ${dataset} batch ${batchId} (with any other pending batch of ${dataset})`);
    for (const l of report.lines) out(l);
    return report.failed ? 1 : 0;
  } finally {
    await runner.close();
  }
}
