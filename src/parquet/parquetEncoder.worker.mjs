// The Parquet encoder thread: runs an encoder session (parquetEncoderSession.mjs) while the converting thread
// decodes CSV, so that decoding and encoding use two cores at once.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import * as pw from 'parquet-wasm/esm';
import { createEncoderSession, pregrowMemory } from './parquetEncoderSession.mjs';

const wasmPath =
  workerData?.wasmPath ?? createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm');
pregrowMemory(pw.initSync({ module: readFileSync(wasmPath) }));

parentPort.on(
  'message',
  createEncoderSession(pw, (m, transfer) => parentPort.postMessage(m, transfer)),
);
