// The encoder thread of Landfall's own Parquet writer (see encoderSession.ts). Bundled into the runtime layer;
// from a checkout, RollingParquetWriter bundles it with esbuild when the first thread starts.
import { parentPort, workerData } from 'node:worker_threads';
import { createLandfallSession } from './encoderSession.ts';

const session = createLandfallSession(
  (m, transfer) => parentPort!.postMessage(m, transfer ?? []),
  workerData?.zstdWasmPath,
  { eager: true },
);
parentPort!.on('message', session);
