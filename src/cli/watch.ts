import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openLocalLake } from '../wiring/local.ts';
import { commonOptions, lakeOptions } from './options.ts';
import { LocalPipelineRunner } from './pipelineRunner.ts';
import { expandPaths } from './runFiles.ts';

/** What the watch has taken, by absolute path: a file is taken again only when its size or time changes. */
type Taken = Record<string, { size: number; mtimeMs: number; batch?: string }>;

/**
 * `landfall watch FOLDER...`: a drop folder that lands files as the landing bucket does. A file is taken once its
 * size and modification time have not changed for `--settle` ms (a file still being copied is never read half),
 * each file once, also across restarts (the lake remembers what it took in watch-state.json), with the same output
 * and pipeline as `landfall run`. A bad file is reported and quarantined; the watch goes on. Ctrl-C (or SIGTERM)
 * stops after the file in progress. With `--report`, the report page (`landfall report`) is written at the start and
 * again after each file.
 */
export async function watch(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...commonOptions,
      dataset: { type: 'string' },
      settle: { type: 'string', default: '2000' },
      interval: { type: 'string', default: '500' },
      report: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  if (!positionals.length) throw new Error('name at least one folder to watch');
  const settle = Number(values.settle);
  const interval = Number(values.interval);
  if (!(settle >= 0) || !(interval > 0)) throw new Error('--settle and --interval take milliseconds');
  for (const p of positionals) {
    const s = await stat(p).catch(() => null);
    if (!s?.isDirectory()) throw new Error(`${p}: not a folder (create it, then drop files into it)`);
  }
  const lake = await openLocalLake(lakeOptions(values));
  const stateFile = join(lake.root, 'watch-state.json');
  const taken: Taken = JSON.parse(await readFile(stateFile, 'utf8').catch(() => '{}'));
  const say = (s: string) => process.stdout.write(`${s}\n`);
  let stopping = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('stopping after the file in progress (Ctrl-C again to stop at once)\n');
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const pipeline = await LocalPipelineRunner.open(lake);
  const reportFile = values.report ? resolve(values.out ?? join(lake.root, 'report.html')) : null;
  const refreshReport = async (first: boolean) => {
    if (!reportFile) return;
    const { writeReport } = await import('../report/writeReport.ts');
    const r = await writeReport(lake, pipeline.engine, reportFile);
    for (const p of r.problems) process.stderr.write(`report: ${p}\n`);
    say(
      first
        ? `report: ${r.path} (refreshed after each file; reload the page)`
        : `  report:     refreshed (${r.alarms} alarm(s))`,
    );
  };
  let failures = 0;
  try {
    await refreshReport(true);
    say(
      `watching ${positionals.join(', ')} (a file lands once unchanged for ${settle} ms; ${Object.keys(taken).length} taken before); Ctrl-C stops`,
    );
    /** Files seen changing, with the size and time they last had and since when. */
    const seen = new Map<string, { size: number; mtimeMs: number; since: number }>();
    while (!stopping) {
      const now = Date.now();
      const ready: string[] = [];
      for (const file of await expandPaths(positionals, lake.root)) {
        const s = await stat(file).catch(() => null);
        if (!s) continue;
        const key = resolve(file);
        const done = taken[key];
        if (done && done.size === s.size && done.mtimeMs === s.mtimeMs) continue;
        const last = seen.get(key);
        if (!last || last.size !== s.size || last.mtimeMs !== s.mtimeMs) {
          seen.set(key, { size: s.size, mtimeMs: s.mtimeMs, since: now });
        } else if (now - last.since >= settle) ready.push(file);
      }
      for (const file of ready) {
        if (stopping) break;
        const key = resolve(file);
        const s = seen.get(key)!;
        const { outcomes } = await pipeline.run([file], values.dataset, say);
        const o = outcomes[0];
        if (o?.error || (o?.result && o.result.manifest.status !== 'published')) failures++;
        taken[key] = { size: s.size, mtimeMs: s.mtimeMs, batch: o?.result?.manifest.batchId };
        seen.delete(key);
        await writeFile(stateFile, JSON.stringify(taken, null, 2));
        await refreshReport(false);
      }
      if (!stopping)
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, interval);
        });
      wake = null;
    }
  } finally {
    await pipeline.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  say(`stopped${failures ? ` (${failures} file(s) could not be converted; see above)` : ''}`);
  return 0;
}
