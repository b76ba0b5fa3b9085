import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderStore } from '../adapters/local/FolderStore.ts';
import { MemoryMergeLease } from '../adapters/local/MemoryMergeLease.ts';
import { loadContracts } from '../contracts/loadContracts.ts';
import type { PipelineStarter } from '../ports.ts';
import { BUILTIN_CONTRACTS } from '../wiring/local.ts';
import { MergeQueue } from './mergeQueue.ts';
import { handlePipelineTask, MAX_ROUNDS_PER_RUN } from './pipelineTask.ts';
import { athenaDialect, LOCAL_CATALOG } from './sqlDialect.ts';

describe('finishing a round', () => {
  it('after MAX_ROUNDS_PER_RUN rounds hands the waiting batches to a new execution instead of looping on', async () => {
    const lake = new FolderStore(await mkdtemp(join(tmpdir(), 'landfall-task-')), 'lake');
    const contracts = await loadContracts(BUILTIN_CONTRACTS);
    const queue = new MergeQueue(lake, new MemoryMergeLease(), () => new Date());
    const started: string[] = [];
    const starter: PipelineStarter = {
      start: async () => 'started',
      isRunning: async (n) => started.includes(n),
      startMerge: async (_, name) => {
        started.push(name);
      },
    };
    const ctx = { lake, contracts, dialect: athenaDialect('s3://lake'), names: LOCAL_CATALOG, queue, starter };
    const finish = (rounds: number) =>
      handlePipelineTask(ctx, { action: 'finish', dataset: 'ad_clicks', holder: 'run-1', taken: [], rounds });
    await queue.enqueue({ dataset: 'ad_clicks', batchId: 'b1', manifestKey: 'manifests/ad_clicks/b1.json' });
    expect(await queue.lead('ad_clicks', 'run-1')).toBe(true);
    expect(await finish(MAX_ROUNDS_PER_RUN - 2)).toEqual({ more: true });
    expect(started).toEqual([]);
    expect(await finish(MAX_ROUNDS_PER_RUN - 1)).toEqual({ more: false, handedOver: 'merge-started' });
    expect(started).toEqual([expect.stringMatching(/^ad_clicks-merge-/)]);
    // The new execution holds the lease now; the old one cannot take another round.
    await expect(handlePipelineTask(ctx, { action: 'take', dataset: 'ad_clicks', holder: 'run-1' })).rejects.toThrow(
      /held by ad_clicks-merge-/,
    );
  });
});
