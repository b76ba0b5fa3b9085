import type { FileOutcome } from './runFiles.ts';

/** Options every lake command takes (landfall run, demo, ...). */
export const commonOptions = {
  lake: { type: 'string', default: '.landfall' },
  'warehouse-mb': { type: 'string' },
  contracts: { type: 'string' },
  'target-mb': { type: 'string' },
  'range-mb': { type: 'string' },
} as const;

/** A lake's settings from the command line's options, refusing values that make no sense. */
export function lakeOptions(values: {
  lake?: string;
  contracts?: string;
  'target-mb'?: string;
  'range-mb'?: string;
  'warehouse-mb'?: string;
}) {
  const warehouse = values['warehouse-mb'] !== undefined ? Number(values['warehouse-mb']) : undefined;
  if (warehouse !== undefined && !(warehouse >= 64))
    throw new Error(`--warehouse-mb must be at least 64 (MB), not "${values['warehouse-mb']}"`);
  const target = values['target-mb'] !== undefined ? Number(values['target-mb']) : undefined;
  if (target !== undefined && !(target > 0))
    throw new Error(`--target-mb must be a positive number, not "${values['target-mb']}"`);
  const range = values['range-mb'] !== undefined ? Number(values['range-mb']) : undefined;
  if (range !== undefined && !(range >= 0))
    throw new Error(`--range-mb must be a number of MB (0: never cut), not "${values['range-mb']}"`);
  return {
    root: values.lake ?? '.landfall',
    contractsDir: values.contracts,
    ...(warehouse ? { warehouseMemoryMb: warehouse } : {}),
    settings: {
      ...(target ? { targetFileBytes: Math.round(target * 1024 * 1024) } : {}),
      ...(range !== undefined ? { rangeBytes: Math.round(range * 1024 * 1024) } : {}),
    },
  };
}

/** Says which files failed and whether the pipeline did; the command's exit code. */
export function reportOutcomes(outcomes: FileOutcome[], mergeFailed = false): number {
  const failed = outcomes.filter((o) => o.error || (o.result && o.result.manifest.status !== 'published'));
  const pipelineFailed = outcomes.filter((o) => o.pipelineFailed);
  if (failed.length)
    process.stderr.write(
      `\n${failed.length} of ${outcomes.length} file(s) could not be converted; see the reasons above.\n`,
    );
  if (pipelineFailed.length || mergeFailed) process.stderr.write('\nthe pipeline failed; see PIPELINE FAILED above.\n');
  return failed.length || pipelineFailed.length || mergeFailed ? 1 : 0;
}
