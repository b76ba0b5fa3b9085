/**
 * Issue 13's goals, checked on the simulated burst: 1,000 files over 13 datasets dropped within one minute, through
 * the real statemachines/pipeline.asl.json run by the local interpreter against src/sim/awsRules.ts.
 */
import { describe, expect, it } from 'vitest';
import { burst } from '#src/cli/burst.ts';
import { loadContracts } from '#src/contracts/loadContracts.ts';
import { runBurst } from '#src/sim/burst.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';

const contracts = await loadContracts(BUILTIN_CONTRACTS);

describe('a burst of 1,000 files over 13 datasets', () => {
  it('merges every batch exactly once, fails no execution, within 200 MERGEs, 50 crawls, 30 simulated minutes and $2', async () => {
    const r = await runBurst({ contracts, files: 1000, datasets: 13, design: 'queued' });
    expect(r).toMatchObject({
      files: 1000,
      datasets: 13,
      batchesPublished: 1000,
      batchesMerged: 1000,
      failedExecutions: 0,
      deadLetters: 0,
      commitConflicts: 0,
    });
    expect(r.crawlerRuns).toBeLessThanOrEqual(50);
    expect(r.mergeStatements).toBeLessThanOrEqual(200);
    expect(r.mergeStatements).toBeGreaterThanOrEqual(13);
    expect(r.lastMergedAfterSeconds).toBeLessThanOrEqual(30 * 60);
    expect(r.costUsd).toBeLessThanOrEqual(2);
    // One merge run per merge group at a time: 8 groups (the six Olist datasets sharing summaries are one).
    expect(r.executions).toBeGreaterThanOrEqual(8);
    expect(r.executions).toBeLessThan(50);
  });

  it('a day of 10,000 files with a 15-minute merge window: runs hand over before the 4-hour timeout, none fails', async () => {
    const r = await runBurst({
      contracts,
      files: 10_000,
      datasets: 13,
      design: 'queued',
      withinSeconds: 86_400,
      mergeWindowSeconds: 900,
    });
    expect(r).toMatchObject({ batchesPublished: 10_000, batchesMerged: 10_000, failedExecutions: 0, failures: {} });
  }, 120_000);

  it('is the same on every run (seeded uploads, simulated time)', async () => {
    const a = await runBurst({ contracts, files: 200, datasets: 5, design: 'queued', seed: 7 });
    const b = await runBurst({ contracts, files: 200, datasets: 5, design: 'queued', seed: 7 });
    expect(a).toEqual(b);
  });

  it('the former per-batch design, under the same rules, fails most executions on the busy crawler and pays a crawl per merged batch', async () => {
    const r = await runBurst({ contracts, files: 200, datasets: 13, design: 'per-batch' });
    expect(r.executions).toBe(200);
    expect(r.failedExecutions).toBeGreaterThan(100);
    expect(r.batchesMerged).toBe(r.files - r.failedExecutions);
    expect(r.crawlerRuns).toBeGreaterThanOrEqual(r.batchesMerged);
    expect(r.costByService.glueCrawler).toBeGreaterThan(r.crawlerRuns * 0.07);
  });

  it('landfall burst --json prints one JSON object with the figures', async () => {
    const lines: string[] = [];
    expect(await burst(['--files', '100', '--datasets', '4', '--json'], (l) => lines.push(l))).toBe(0);
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]);
    for (const k of [
      'files',
      'batchesPublished',
      'batchesMerged',
      'mergeStatements',
      'crawlerRuns',
      'commitConflicts',
      'failedExecutions',
      'lastMergedAfterSeconds',
      'costUsd',
    ]) {
      expect(typeof r[k], k).toBe('number');
    }
    expect(r).toMatchObject({ files: 100, datasets: 4, batchesMerged: 100 });
    await expect(burst(['--design', 'nightly'], () => {})).rejects.toThrow(/--design is queued .* or per-batch/);
  });
});
