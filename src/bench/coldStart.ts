/**
 * Cold start of the ingest function as Lambda would run it: a fresh process imports the esbuild bundle (module
 * load, configuration, contracts), then converts a one-row file (encoded on the converting thread, libzstd compiled
 * on first use), with the layer's files named by the environment as template.yaml names them. Prints one JSON line
 * with both times in milliseconds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle, layer, lake] = process.argv.slice(2);
await mkdir(join(lake, 'landing', 'ad_clicks'), { recursive: true });
await writeFile(
  join(lake, 'landing', 'ad_clicks', 'one.csv'),
  'ip,app,device,os,channel,click_time,attributed_time,is_attributed\n1,2,3,4,5,2017-11-07 09:30:38,,0\n',
);
Object.assign(process.env, {
  LANDING_BUCKET: 'landing',
  LAKE_BUCKET: 'lake',
  CONTRACTS_DIR: join(layer, 'contracts'),
  LANDFALL_LOCAL_LAKE: lake,
  PARQUET_WASM_PATH: join(layer, 'wasm', 'parquet_wasm_bg.wasm'),
  PARQUET_WORKER_PATH: join(layer, 'wasm', 'parquet-encoder.worker.mjs'),
  CSV_WASM_PATH: join(layer, 'wasm', 'csv.wasm'),
  // As template.yaml sets them: a bundle cannot find files beside its sources.
  LANDFALL_WORKER_PATH: join(layer, 'wasm', 'landfall-encoder.worker.mjs'),
  ZSTD_WASM_PATH: join(layer, 'wasm', 'zstd.wasm'),
  POWERTOOLS_LOG_LEVEL: 'WARN',
});
const t0 = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const t1 = performance.now();
const event = {
  Records: [
    { eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'landing' }, object: { key: 'ad_clicks/one.csv' } } },
  ],
};
const [r] = await handler(event);
const t2 = performance.now();
if (r.rowsWritten !== 1) throw new Error(`cold start run wrote ${r.rowsWritten} rows`);
process.stdout.write(`${JSON.stringify({ importMs: t1 - t0, firstRowMs: t2 - t0 })}\n`);
