/**
 * Cold start of the ingest function as Lambda would run it: a fresh process, started with the function's environment
 * from template.yaml (the layer's files under the layer folder, as `landfall invoke` resolves them), imports the
 * esbuild bundle (module load, configuration, contracts), then converts a one-row file (encoded on the converting
 * thread, libzstd compiled on first use). Prints one JSON line with both times in milliseconds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle] = process.argv.slice(2);
const lake = process.env.LANDFALL_LOCAL_LAKE!;
await mkdir(join(lake, 'landing', 'ad_clicks'), { recursive: true });
await writeFile(
  join(lake, 'landing', 'ad_clicks', 'one.csv'),
  'ip,app,device,os,channel,click_time,attributed_time,is_attributed\n1,2,3,4,5,2017-11-07 09:30:38,,0\n',
);
const t0 = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const t1 = performance.now();
const event = {
  Records: [
    {
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: process.env.LANDING_BUCKET }, object: { key: 'ad_clicks/one.csv' } },
    },
  ],
};
const [r] = await handler(event);
const t2 = performance.now();
if (r.rowsWritten !== 1) throw new Error(`cold start run wrote ${r.rowsWritten} rows`);
process.stdout.write(`${JSON.stringify({ importMs: t1 - t0, firstRowMs: t2 - t0 })}\n`);
