import { parseArgs } from 'node:util';
import { loadContracts } from '../contracts/loadContracts.ts';
import { runBurst, type BurstDesign, type BurstResult } from '../sim/burst.ts';
import { BUILTIN_CONTRACTS } from '../wiring/local.ts';

/**
 * `landfall burst [--files N] [--datasets K] [--within S] [--design queued|per-batch] [--json]`: N files of K
 * datasets dropped within S seconds (default a minute), through the real state machine definition, run by the local interpreter against the simulated
 * AWS services of src/sim/awsRules.ts on a simulated clock. Prints what happened and what it cost.
 */
export async function burst(
  args: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      files: { type: 'string', default: '1000' },
      datasets: { type: 'string', default: '13' },
      within: { type: 'string', default: '60' },
      'merge-window': { type: 'string', default: '60' },
      design: { type: 'string', default: 'queued' },
      'max-concurrency': { type: 'string', default: '10' },
      seed: { type: 'string', default: '13' },
      contracts: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const count = (name: 'files' | 'datasets' | 'max-concurrency' | 'seed' | 'within' | 'merge-window', min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} takes a whole number of at least ${min}, not "${values[name]}"`);
    return n;
  };
  const design = values.design as BurstDesign;
  if (design !== 'queued' && design !== 'per-batch')
    throw new Error(
      `--design is queued (merge runs per dataset group) or per-batch (the former design), not "${values.design}"`,
    );
  const result = await runBurst({
    contracts: await loadContracts(values.contracts ?? BUILTIN_CONTRACTS),
    files: count('files', 1),
    datasets: count('datasets', 1),
    design,
    ingestMaxConcurrency: count('max-concurrency', 2),
    seed: count('seed', 0),
    withinSeconds: count('within', 1),
    mergeWindowSeconds: count('merge-window', 0),
  });
  out(values.json ? JSON.stringify(result) : describe(result));
  return 0;
}

export function describe(r: BurstResult): string {
  const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
  return [
    `${r.files} files of ${r.datasets} datasets dropped within ${r.withinSeconds} s (${r.design} design${r.design === 'queued' ? `, merge window ${r.mergeWindowSeconds} s` : ''}, simulated)`,
    `  batches published ${r.batchesPublished}, merged ${r.batchesMerged}; the last merged after ${minutes(r.lastMergedAfterSeconds)}`,
    `  MERGE statements ${r.mergeStatements}, Iceberg commit conflicts ${r.commitConflicts}, crawler runs ${r.crawlerRuns}`,
    `  executions ${r.executions} (failed ${r.failedExecutions}), state transitions ${r.stateTransitions}, dead letters ${r.deadLetters}`,
    `  cost $${r.costUsd.toFixed(2)}: ${Object.entries(r.costByService)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} $${v.toFixed(3)}`)
      .join(', ')}`,
  ].join('\n');
}
