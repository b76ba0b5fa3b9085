import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchMetrics } from '../adapters/aws/CloudWatchMetrics.ts';
import { SfnPipelineStarter } from '../adapters/aws/SfnPipelineStarter.ts';
import type { Contract } from '../contracts/contract.ts';
import type { MetricsPublisher, ObjectStore, PipelineStarter } from '../ports.ts';
import type { PlanContext } from '../pipeline/planFromManifest.ts';
import { athenaDialect, type CatalogNames } from '../pipeline/sqlDialect.ts';
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
  /** The pipeline state machine started after each converted batch (absent: not started). */
  stateMachineArn?: string;
}

function required(env: NodeJS.ProcessEnv) {
  return (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`environment variable ${name} is not set (template.yaml sets it for the deployed function)`);
    return v;
  };
}

export function ingestConfigFromEnv(env: NodeJS.ProcessEnv): IngestConfig {
  const need = required(env);
  const mb = env.TARGET_FILE_MB ? Number(env.TARGET_FILE_MB) : undefined;
  if (mb !== undefined && !(mb > 0)) throw new Error(`TARGET_FILE_MB must be a positive number, not "${env.TARGET_FILE_MB}"`);
  return {
    landingBucket: need('LANDING_BUCKET'),
    lakeBucket: need('LAKE_BUCKET'),
    contractsDir: env.CONTRACTS_DIR ?? '/opt/contracts',
    targetFileBytes: mb ? Math.round(mb * 1024 * 1024) : undefined,
    parquetWasmPath: env.PARQUET_WASM_PATH,
    localLake: env.LANDFALL_LOCAL_LAKE,
    stateMachineArn: env.STATE_MACHINE_ARN,
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

export function pipelineStarterFromConfig(c: IngestConfig): PipelineStarter | undefined {
  return c.stateMachineArn && !c.localLake ? new SfnPipelineStarter(new SFNClient({}), c.stateMachineArn) : undefined;
}

/** Configuration of the plan and freshness functions. */
export interface CatalogConfig {
  lakeBucket: string;
  contractsDir: string;
  names: CatalogNames;
  crawler: string;
  localLake?: string;
}

export function catalogConfigFromEnv(env: NodeJS.ProcessEnv): CatalogConfig {
  const need = required(env);
  return {
    lakeBucket: need('LAKE_BUCKET'),
    contractsDir: env.CONTRACTS_DIR ?? '/opt/contracts',
    names: { raw: need('RAW_DATABASE'), curated: need('CURATED_DATABASE'), summary: need('SUMMARY_DATABASE'), analytics: need('ANALYTICS_DATABASE') },
    crawler: need('RAW_CRAWLER'),
    localLake: env.LANDFALL_LOCAL_LAKE,
  };
}

function lakeStore(c: { lakeBucket: string; localLake?: string }): ObjectStore {
  return c.localLake ? new FolderStore(join(c.localLake, 'lake'), c.lakeBucket) : new S3Store(new S3Client({}), c.lakeBucket);
}

/** Composition root of the plan function: Athena SQL over the stage's Glue databases. */
export async function planContextFromConfig(c: CatalogConfig): Promise<PlanContext> {
  return {
    lake: lakeStore(c),
    contracts: await loadContracts(c.contractsDir),
    dialect: athenaDialect(`s3://${c.lakeBucket}`),
    names: c.names,
    crawler: () => c.crawler,
  };
}

export interface FreshnessContext {
  lake: ObjectStore;
  contracts: Contract[];
  metrics: MetricsPublisher;
}

export async function freshnessContextFromConfig(c: CatalogConfig): Promise<FreshnessContext> {
  return { lake: lakeStore(c), contracts: await loadContracts(c.contractsDir), metrics: new CloudWatchMetrics(new CloudWatchClient({})) };
}
