import { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { S3Store } from '../adapters/aws/S3Store.ts';
import { FolderStore } from '../adapters/local/FolderStore.ts';
import { loadContracts } from '../contracts/loadContracts.ts';
import type { IngestContext } from '../convert/ingestObject.ts';
import { initParquetWasm } from '../convert/parquetWasm.ts';
import { resolveSettings } from './local.ts';

/** The ingest function's configuration, read from the environment once per cold start. */
export interface IngestConfig {
  landingBucket: string;
  lakeBucket: string;
  contractsDir: string;
  targetFileBytes?: number;
  parquetWasmPath?: string;
  /** Set by `landfall invoke` and tests: folders instead of S3. */
  localLake?: string;
}

export function ingestConfigFromEnv(env: NodeJS.ProcessEnv): IngestConfig {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`environment variable ${name} is not set (template.yaml sets it for the deployed function)`);
    return v;
  };
  const mb = env.TARGET_FILE_MB ? Number(env.TARGET_FILE_MB) : undefined;
  if (mb !== undefined && !(mb > 0)) throw new Error(`TARGET_FILE_MB must be a positive number, not "${env.TARGET_FILE_MB}"`);
  return {
    landingBucket: need('LANDING_BUCKET'),
    lakeBucket: need('LAKE_BUCKET'),
    contractsDir: env.CONTRACTS_DIR ?? '/opt/contracts',
    targetFileBytes: mb ? Math.round(mb * 1024 * 1024) : undefined,
    parquetWasmPath: env.PARQUET_WASM_PATH,
    localLake: env.LANDFALL_LOCAL_LAKE,
  };
}

/** Composition root of the ingest function: S3 buckets on AWS, the local lake's folders under `landfall invoke`. */
export async function ingestContextFromConfig(c: IngestConfig): Promise<IngestContext> {
  initParquetWasm(c.parquetWasmPath);
  const s3 = c.localLake ? null : new S3Client({});
  const store = (bucket: string, folder: string) =>
    s3 ? new S3Store(s3, bucket) : new FolderStore(join(c.localLake!, folder), bucket);
  return {
    landing: store(c.landingBucket, 'landing'),
    lake: store(c.lakeBucket, 'lake'),
    contracts: await loadContracts(c.contractsDir),
    settings: resolveSettings({ targetFileBytes: c.targetFileBytes }),
    now: () => new Date(),
  };
}
