/**
 * The manifest's counts prove that every row was written or quarantined: publishing refuses a batch whose counts
 * do not add up, and the tests' own check (expectReconciled) counts the rows in the Parquet and quarantine files,
 * so a manifest that agrees with itself but not with its files is caught too.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleConvertTask } from '#src/ingest/convertTask.ts';
import { ReconciliationError } from '#src/ingest/errors.ts';
import { ingestObject, startIngest } from '#src/ingest/ingestObject.ts';
import type { IngestContext } from '#src/ingest/context.ts';
import { readManifest, type Manifest } from '#src/ingest/manifest.ts';
import { ingestContext } from '#src/wiring/local.ts';
import { expectReconciled, quarantineRows, SHARED_DATA, tempLake } from './helpers.ts';

const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const BAD = ['abc,1,1,1,1,2017-11-07 09:30:38,,0', '1,2,3', '5,1,1,1,1,not a time,,0'];

/** The real click sample with three bad rows spread through it. */
async function dirtyClicks(): Promise<string> {
  const lines = (await readFile(CLICKS, 'utf8')).split('\n');
  for (const [i, bad] of BAD.entries()) lines.splice(1 + (i + 1) * 20_000, 0, bad);
  return lines.join('\n');
}

async function clicksLake(rangeBytes: number, body: string) {
  const lake = await tempLake({ threads: 1, rangeBytes });
  await mkdir(join(lake.landing.root, 'ad_clicks'), { recursive: true });
  await writeFile(lake.landing.path('ad_clicks/c.csv'), body);
  return { lake, ctx: ingestContext(lake) as IngestContext };
}

describe('reconciliation: rows read = written + quarantined, proven by the files', () => {
  it('publishing refuses a batch whose run counts do not add up, and writes no manifest', async () => {
    const { lake, ctx } = await clicksLake(1024 * 1024, await dirtyClicks());
    const started = await startIngest(ctx, 'ad_clicks/c.csv');
    if (started.kind !== 'handedOff') throw new Error('expected byte ranges handed off');
    for (const segment of started.convert.segments)
      await handleConvertTask(ctx, { action: 'segment', dataset: 'ad_clicks', batchId: started.batchId, segment });
    // A bug that loses a row between the decoder and the writer would leave rowsWritten one short of the rows read.
    const key = `staging/ad_clicks/${started.batchId}/segment-0001.json`;
    const seg = JSON.parse(await readFile(lake.lake.path(key), 'utf8')) as { runs: { rowsWritten: number }[] };
    seg.runs[0].rowsWritten -= 1;
    await writeFile(lake.lake.path(key), JSON.stringify(seg));

    const publish = handleConvertTask(ctx, { action: 'publish', dataset: 'ad_clicks', batchId: started.batchId });
    await expect(publish).rejects.toBeInstanceOf(ReconciliationError);
    await expect(publish).rejects.toThrow(
      /row counts do not reconcile: read 100003 != written 99999 \+ rejected 3 \+ blank 0 \(the Parquet files hold 100000 rows, the quarantine file 3\); the manifest was not published/,
    );
    expect(await readManifest(lake.lake, started.manifestKey)).toBeNull();
  }, 60_000);

  it('the check counts rows in the files: a manifest that agrees with itself but not with its files fails', async () => {
    const { lake, ctx } = await clicksLake(0, await dirtyClicks());
    const r = await ingestObject(ctx, 'ad_clicks/c.csv');
    expect(r.manifest).toMatchObject({ rowsRead: 100_003, rowsWritten: 100_000, rowsRejected: 3 });
    await expectReconciled(lake.lake, r);
    const rejects = await quarantineRows(lake.lake, r.manifest.quarantine!.key);
    expect(rejects.map((q) => q.record)).toEqual(BAD);

    // One more row claimed for the Parquet file, and counted as read: the manifest still adds up.
    const more: Manifest = structuredClone(r.manifest);
    more.files[0].rows += 1;
    more.rowsWritten += 1;
    more.rowsRead += 1;
    await expect(expectReconciled(lake.lake, more)).rejects.toThrow(/holds 100000 rows, the manifest says 100001/);

    // A quarantine file that lost its last row, under a manifest that says so consistently.
    const q = await readFile(lake.lake.path(r.manifest.quarantine!.key), 'utf8');
    const shorter = q.slice(0, q.lastIndexOf('\n', q.length - 2) + 1);
    await lake.lake.put('elsewhere/short.csv', shorter);
    const lost: Manifest = structuredClone(r.manifest);
    lost.quarantine = { ...lost.quarantine!, key: 'elsewhere/short.csv', rows: 3 };
    await expect(expectReconciled(lake.lake, lost)).rejects.toThrow(
      /the quarantine file holds 2 rows, the manifest says 3/,
    );

    // Reasons are counted from the quarantine file too.
    const renamed: Manifest = structuredClone(r.manifest);
    const [reason] = Object.keys(renamed.rejectsByReason);
    renamed.rejectsByReason = {
      ...renamed.rejectsByReason,
      [reason]: renamed.rejectsByReason[reason] - 1,
      'ragged-row-x': 1,
    };
    await expect(expectReconciled(lake.lake, renamed)).rejects.toThrow(/quarantine reasons/);
  }, 60_000);
});
