/**
 * Issue 14 item 2: a contract without a key appends every row (identical clicks are the click-fraud signal), a
 * batch merged again adds nothing, and `dedupe: exact` collapses identical rows only where a contract asks.
 * Golden figures: DuckDB on the CSV files.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import { replay } from '#src/cli/replay.ts';
import { duck, rows, SHARED_DATA, tempLake } from './helpers.ts';

const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const GEO = join(SHARED_DATA, 'olist/sample_bravida/olist_geolocation_dataset.csv');

describe('contracts without a key', () => {
  it('append every row, repeated clicks included, and a batch merged again adds nothing', async () => {
    const lake = await tempLake({ threads: 1 });
    const runner = await LocalPipelineRunner.open(lake);
    let batch = '';
    try {
      const { outcomes } = await runner.run([CLICKS, GEO], undefined, () => undefined);
      batch = outcomes[0].result!.manifest.batchId;
      const conn = await duck();
      const [csv] = await rows(conn, `SELECT count(*)::INT AS n FROM read_csv('${CLICKS}', header = true)`);
      const [repeat] = await rows(
        conn,
        `SELECT count(*)::INT AS n FROM read_csv('${CLICKS}', header = true) WHERE ip = 871 AND channel = 178 AND click_time = TIMESTAMP '2017-11-08 10:00:05'`,
      );
      expect(repeat.n).toBeGreaterThan(1);
      const count = async (where = '') =>
        (await runner.engine.query(`SELECT count(*)::INT AS n FROM curated.ad_clicks ${where}`)).rows[0];
      expect(await count()).toEqual(csv);
      expect(await count("WHERE ip = 871 AND channel = 178 AND click_time = TIMESTAMP '2017-11-08 10:00:05'")).toEqual(
        repeat,
      );
      // olist_geolocation says dedupe: exact: identical rows are one.
      const [geo] = await rows(
        conn,
        `SELECT count(*)::INT AS n FROM (SELECT DISTINCT * FROM read_csv('${GEO}', header = true, all_varchar = true))`,
      );
      expect((await runner.engine.query('SELECT count(*)::INT AS n FROM curated.olist_geolocation')).rows[0]).toEqual(
        geo,
      );
    } finally {
      await runner.close();
    }
    // The same batch merged again (landfall replay) appends nothing.
    expect(await replay(['--lake', lake.root, 'ad_clicks', batch], () => undefined)).toBe(0);
    const again = await LocalPipelineRunner.open(lake);
    try {
      const conn = await duck();
      const [csv] = await rows(conn, `SELECT count(*)::INT AS n FROM read_csv('${CLICKS}', header = true)`);
      expect((await again.engine.query('SELECT count(*)::INT AS n FROM curated.ad_clicks')).rows[0]).toEqual(csv);
    } finally {
      await again.close();
    }
  });
});
